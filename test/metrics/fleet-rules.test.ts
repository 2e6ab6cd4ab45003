// Issue 17, item 13: the shipped Prometheus alert rules pass `promtool check rules` and their unit
// tests (`promtool test rules`), and they and the Grafana dashboard use only metrics the daemon
// exports; the dashboard's queries parse as PromQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { DaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import { REPO } from '../cli/one-off-helpers.js';

const exec = promisify(execFile);
const RULES = join(REPO, 'examples', 'prometheus', 'xensnap-rules.yml');
const RULE_TESTS = join(REPO, 'examples', 'prometheus', 'xensnap-rules.test.yml');
const DASHBOARD = join(REPO, 'examples', 'grafana', 'xensnap-dashboard.json');

/** promtool from PATH; the suite needs it (scripts/install-deps.sh installs the prometheus package), so a missing one fails. */
async function promtool(): Promise<string> {
  const { access, constants } = await import('node:fs/promises');
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = join(dir, 'promtool');
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  assert.fail('promtool is not installed: scripts/install-deps.sh (run by make test) installs the prometheus package');
}

/** Metric families the daemon exports, and the sample names a histogram adds. */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await new DaemonMetrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const metricNames = (expr: string) => new Set(expr.match(/\bxensnap_[a-z_]+\b/g) ?? []);

test('the alert rules pass promtool check rules and promtool test rules', async () => {
  const bin = await promtool();
  const check = await exec(bin, ['check', 'rules', RULES]);
  assert.match(check.stdout, /SUCCESS: 8 rules found/);
  const unit = await exec(bin, ['test', 'rules', RULE_TESTS]);
  assert.match(unit.stdout, /SUCCESS/);
  // every alert has a unit test that expects it to fire
  const rules = parse(await readFile(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const tests = parse(await readFile(RULE_TESTS, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
  const fired = new Set(tests.tests.flatMap((x) => x.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
  assert.deepEqual([...alerts].sort(), [...fired].sort());
  assert.deepEqual(alerts, ['XensnapPolicySetInvalid', 'XensnapPolicyNotCompliant', 'XensnapLastSuccessTooOld', 'XensnapDeletesHeldBack', 'XensnapStuckJournal', 'XensnapDomainsSkipped', 'XensnapLowFreeSpace', 'XensnapWeakerSnapshots']);
});

test('the rules and the dashboard name only metrics the daemon exports', async () => {
  const have = await exported();
  const rules = parse(await readFile(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  for (const r of rules.groups.flatMap((g) => g.rules)) {
    for (const m of metricNames(r.expr)) assert.ok(have.has(m), `${r.alert}: ${m} is not a metric xensnap exports`);
  }
  const dash = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { uid: string; panels: Array<{ id: number; title: string; targets: Array<{ expr: string }>; gridPos: { x: number; w: number } }> };
  assert.equal(dash.uid, 'xensnap-fleet');
  assert.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length);
  for (const p of dash.panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: wider than the grid`);
    assert.ok(p.targets.length > 0, `${p.title}: no query`);
    for (const q of p.targets) for (const m of metricNames(q.expr)) assert.ok(have.has(m), `${p.title}: ${m} is not a metric xensnap exports`);
  }
});

test('every dashboard query parses as PromQL (checked by promtool as recording rules)', async (t) => {
  const bin = await promtool();
  const dash = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const exprs = dash.panels.flatMap((p) => p.targets.map((q) => q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*')));
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-dash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'queries.yml');
  await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `xensnap_dashboard:q${i}`, expr })) }] }));
  const r = await exec(bin, ['check', 'rules', file]);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
});
