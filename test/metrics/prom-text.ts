/** A strict reader of the Prometheus text exposition format (0.0.4), for tests. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, line: number): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value "${s}"`);
  return Number(s);
}

function parseLabels(s: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: bad labels`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`line ${line}: bad escape \\${n}`);
      } else v += s[j];
    }
    if (j >= s.length) throw new Error(`line ${line}: unterminated label value`);
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected , or }`);
  }
}

/** Parses the whole text; throws on any line that breaks the format or its invariants. */
export function parsePromText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((l, idx) => {
    const n = idx + 1;
    if (l === '') return;
    if (l.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(l);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name!)) throw new Error(`line ${n}: bad metric name ${name}`);
      const f = families.get(name!) ?? { name: name!, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!)) throw new Error(`line ${n}: bad type ${rest}`);
        if (f.samples.length) throw new Error(`line ${n}: TYPE after samples`);
        f.type = rest!;
      } else f.help = rest!;
      families.set(name!, f);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(l);
    if (!m) throw new Error(`line ${n}: not a sample: ${l}`);
    const name = m[1]!;
    let rest = l.slice(name.length);
    let labels: Record<string, string> = {};
    if (m[2]) ({ labels, rest } = parseLabels(rest.slice(1), n));
    const parts = rest.trim().split(' ');
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`line ${n}: bad sample tail "${rest}"`);
    const value = parseValue(parts[0]!, n);
    const fam = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
    if (!fam || fam.type === 'untyped') throw new Error(`line ${n}: sample ${name} without a TYPE`);
    if (fam.name !== name && fam.type !== 'histogram' && fam.type !== 'summary') throw new Error(`line ${n}: ${name} in ${fam.type} ${fam.name}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    seen.add(key);
    if (fam.type === 'counter' && !(value >= 0)) throw new Error(`line ${n}: negative counter`);
    fam.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue;
    const buckets = f.samples.filter((s) => s.name === `${f.name}_bucket`);
    let prev = -1;
    for (const b of buckets) {
      if (b.value < prev) throw new Error(`${f.name}: buckets not cumulative`);
      prev = b.value;
    }
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    const count = f.samples.find((s) => s.name === `${f.name}_count`);
    if (!inf || !count || inf.value !== count.value) throw new Error(`${f.name}: +Inf bucket must equal _count`);
  }
  return families;
}

/** `name{a="x",b="y"} value` lines of one family, sorted: easy exact comparisons. */
export function seriesLines(f: Family | undefined): string[] {
  if (!f) return [];
  return f.samples
    .map((s) => `${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',')}} ${s.value}`)
    .sort();
}
