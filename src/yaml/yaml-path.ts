/** A path inside a document: mapping keys and list indexes, as ajv's instancePath names them. */
export type YamlPath = Array<string | number>;

/** `/spec/retention/keepLast` → ['spec', 'retention', 'keepLast'] (JSON-pointer unescaping). */
export function fromPointer(pointer: string): YamlPath {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function toPointer(path: YamlPath): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** `spec.selector.names[0]`, for messages; the root is `document`. */
export function displayPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number' || /^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || 'document';
}

/** A short, quoted rendering of a user value for messages (long strings are cut). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') {
    const cut = v.length > 60 ? v.slice(0, 57) + '...' : v;
    return JSON.stringify(cut);
  }
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}
