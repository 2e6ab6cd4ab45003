import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { simulate } from '../../src/plan/simulate.js';
import { renderSimulateJson, renderSimulateText } from '../../src/render/simulate-text.js';
import { policy } from './fixtures.js';

const sixHourly = () => policy('web', { schedule: '0 */6 * * *', timezone: 'Europe/Paris' }, { keepLast: 2, keepDaily: 3, keepWeekly: 2 });

test('simulate: 19 days of a 6-hourly Paris policy', () => {
  const r = simulate({ policy: sixHourly(), from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-20T00:00:00Z') });
  // Paris is UTC+1 in November: local 00/06/12/18 h are 23/05/11/17 h UTC
  assert.equal(r.created, 76);
  assert.deepEqual(r.survivors, ['2026-11-15T17:00:00Z', '2026-11-18T17:00:00Z', '2026-11-19T17:00:00Z', '2026-11-19T23:00:00Z']);
  assert.equal(
    renderSimulateJson(r),
    `${JSON.stringify({ formatVersion: 1, policy: 'web', from: '2026-11-01T00:00:00Z', to: '2026-11-20T00:00:00Z', created: 76, survivors: r.survivors }, null, 2)}\n`,
  );
  assert.equal(
    renderSimulateText(r, { color: false }),
    [
      'Policy web, 2026-11-01T00:00:00Z → 2026-11-20T00:00:00Z',
      '  76 created, 4 survive, 72 deleted',
      '',
      'kept by:',
      '  keepDaily   3',
      '  keepLast    2',
      '  keepWeekly  2',
      '  newest      1',
      '',
      'survivors by month (UTC):',
      '  2026-11  ●●●● 4',
      '',
      'oldest 2026-11-15T17:00:00Z, newest 2026-11-19T23:00:00Z',
      '',
    ].join('\n'),
  );
});

test('simulate: a year of hourly snapshots keeps what the rules promise', () => {
  const r = simulate({
    policy: policy('y', {}, { keepLast: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 }),
    from: new Date('2026-01-01T00:00:00Z'),
    to: new Date('2026-12-31T23:00:00Z'),
  });
  assert.equal(r.created, 8760);
  // 24 hourly (covering keepLast and today's daily) + 6 earlier days + the weeks and months not yet covered
  const last = r.survivors.slice(-24);
  assert.deepEqual(last[0], '2026-12-31T00:00:00Z');
  assert.deepEqual(r.survivors.slice(0, 3), ['2026-01-31T23:00:00Z', '2026-02-28T23:00:00Z', '2026-03-31T23:00:00Z']);
  assert.equal(r.survivors.length, 43);
});

test('simulate: an empty span creates nothing', () => {
  const r = simulate({ policy: policy('d', { schedule: '0 3 * * *' }), from: new Date('2026-11-26T04:00:00Z'), to: new Date('2026-11-26T05:00:00Z') });
  assert.deepEqual([r.created, r.survivors], [0, []]);
  assert.equal(renderSimulateText(r, { color: false }), 'Policy d, 2026-11-26T04:00:00Z → 2026-11-26T05:00:00Z\n  0 created, 0 survive, 0 deleted\n');
});

function capture() {
  let out = '';
  return { stream: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = capture();
  const e = capture();
  const code = await main(['simulate', ...args], { stdout: o.stream, stderr: e.stream, env: {} });
  return { code, out: o.text(), err: e.text() };
}

const DOC = (name: string, schedule: string) => `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: ${name}
spec:
  selector:
    names: ["web-*"]
  schedule: "${schedule}"
  timezone: Europe/Paris
  mode: disk-only
  type: external
  retention:
    keepLast: 2
    keepDaily: 3
    keepWeekly: 2
`;

test('xensnap simulate: policy files, --name, --json, and argument errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-sim-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const one = join(dir, 'one.yaml');
  const two = join(dir, 'two.yaml');
  await writeFile(one, DOC('web', '0 */6 * * *'));
  await writeFile(two, `${DOC('web', '0 */6 * * *')}---\n${DOC('db', '0 3 * * *')}`);
  const span = ['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-20T00:00:00Z'];

  const r = await cli(['--policy', one, ...span, '--json']);
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), JSON.parse(renderSimulateJson(simulate({ policy: sixHourly(), from: new Date(span[1]!), to: new Date(span[3]!) }))));

  const human = await cli(['--policy', one, ...span]);
  assert.equal(human.code, 0);
  assert.match(human.out, /^Policy web, 2026-11-01T00:00:00Z → 2026-11-20T00:00:00Z\n  76 created, 4 survive, 72 deleted\n/);

  const several = await cli(['--policy', two, ...span]);
  assert.deepEqual([several.code, several.err], [1, `simulate: ${two} holds 2 policies (web, db); pick one with --name NAME\n`]);
  const named = await cli(['--policy', two, '--name', 'db', ...span, '--json']);
  assert.equal(named.code, 0);
  assert.equal(JSON.parse(named.out).created, 19);
  const unknown = await cli(['--policy', two, '--name', 'zz', ...span]);
  assert.equal(unknown.err, `simulate: ${two} has no policy named zz (it has: web, db)\n`);

  assert.equal((await cli(['--policy', one, '--from', '2026-11-02T00:00:00Z', '--to', '2026-11-01T00:00:00Z'])).err, 'simulate: --from 2026-11-02T00:00:00Z is after --to 2026-11-01T00:00:00Z\n');
  assert.equal((await cli(['--policy', one, '--from', 'yesterday', '--to', '2026-11-01T00:00:00Z'])).err, 'simulate: --from: "yesterday" is not an ISO-8601 date (2026-11-26) or time with an offset (2026-11-26T04:00:00Z)\n');
  assert.equal((await cli([...span])).err, 'simulate: --policy FILE is required\n');
  assert.equal((await cli(['--policy', one, '--bogus'])).err, 'simulate: unknown argument --bogus; see xensnap help simulate\n');
  const often = join(dir, 'often.yaml');
  await writeFile(often, DOC('often', '*/5 * * * *'));
  // 288 slots on the first day × 731 days
  assert.equal((await cli(['--policy', often, '--from', '2024-01-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z'])).err, 'simulate: about 210528 slots between --from and --to; at most 100000 are replayed, shorten the span\n');

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, DOC('web', 'every hour'));
  const invalid = await cli(['--policy', bad, ...span]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.err, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
});
