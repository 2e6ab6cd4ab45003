import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyText } from '../../src/policy/parse-policy-text.js';
import type { Policy } from '../../src/model/policy.js';
import { BASE, edit } from './policy-text.js';

const DESIGN_EXAMPLE = `# yaml-language-server: $schema=../policies/schema/snapshot-policy.schema.json
apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: web-hourly            # [a-z0-9][a-z0-9-]{0,40}; unique across all policy files
  description: hourly crash-consistent snapshots of the web tier
spec:
  selector:
    names: ["web-*"]          # globs on domain name
    uuids: []                 # exact UUIDs
    exclude: ["web-canary"]
    states: [running, paused, shutoff]   # default: all
  disks: [xvda]               # default: every disk of the domain
  schedule: "0 * * * *"       # 5-field cron
  timezone: Europe/Paris      # IANA; default UTC; used for schedule and retention buckets
  mode: disk-only             # disk-only | live (memory + disks, consistent)
  type: external              # internal (qcow2 only) | external (qcow2 or VHD chains)
  quiesce: false              # false | true (freeze via guest agent when reachable) | required
  hooks: flush-db             # optional: a hook profile defined in the host config
  retention:
    keepLast: 3
    keepHourly: 24
    keepDaily: 7
    keepWeekly: 4
    keepMonthly: 12
    keepYearly: 0
    keepWithin: 2h            # keep everything younger than this, measured from the newest snapshot
  deletionPolicy: Retain      # what happens to its snapshots when the policy disappears: Retain | Delete
`;

function ok(text: string, hooks?: string[]): Policy[] {
  const r = parsePolicyText(text, 'p.yaml', hooks ? { hookProfiles: { names: hooks, configFile: 'c.yaml' } } : {});
  assert.deepEqual(r.diagnostics, []);
  return r.policies;
}

test('the minimal policy gets every default', () => {
  assert.deepEqual(ok(BASE), [
    {
      name: 'web',
      description: '',
      selector: { names: ['web-*'], uuids: [], exclude: [], states: ['running', 'paused', 'shutoff'] },
      disks: null,
      schedule: '0 * * * *',
      timezone: 'UTC',
      mode: 'disk-only',
      type: 'external',
      quiesce: 'off',
      hooks: null,
      retention: { keepLast: 3 },
      deletionPolicy: 'Retain',
      source: { file: 'p.yaml', line: 1, col: 1 },
      revision: null,
    },
  ]);
});

test("DESIGN.md's example is valid and normalised exactly", () => {
  assert.deepEqual(ok(DESIGN_EXAMPLE, ['flush-db']), [
    {
      name: 'web-hourly',
      description: 'hourly crash-consistent snapshots of the web tier',
      selector: { names: ['web-*'], uuids: [], exclude: ['web-canary'], states: ['running', 'paused', 'shutoff'] },
      disks: ['xvda'],
      schedule: '0 * * * *',
      timezone: 'Europe/Paris',
      mode: 'disk-only',
      type: 'external',
      quiesce: 'off',
      hooks: 'flush-db',
      retention: { keepLast: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, keepWithinMs: 7_200_000 },
      deletionPolicy: 'Retain',
      source: { file: 'p.yaml', line: 2, col: 1 },
      revision: null,
    },
  ]);
});

test('quiesce true → preferred, "required" → required; uuids lower-cased; cron spacing normalised', () => {
  const text = edit(
    '    names: ["web-*"]\n  schedule: "0 * * * *"',
    '    uuids: [3B9C1F0E-8D2A-4C61-9D1E-5A7F2C3B4D10]\n  schedule: "0   */2 * * 1-5"\n  quiesce: true\n  mode: live\n  type: internal',
  );
  const [p] = ok(text);
  assert.deepEqual(p!.selector, { names: [], uuids: ['3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10'], exclude: [], states: ['running', 'paused', 'shutoff'] });
  assert.equal(p!.schedule, '0 */2 * * 1-5');
  assert.equal(p!.quiesce, 'preferred');
  assert.equal(p!.mode, 'live');
  assert.equal(p!.type, 'internal');
  assert.equal(ok(edit('  schedule:', '  quiesce: required\n  schedule:'))[0]!.quiesce, 'required');
  assert.equal(ok(edit('  schedule:', '  quiesce: false\n  schedule:'))[0]!.quiesce, 'off');
});

test('several documents give several policies with their own source lines; empty documents are skipped', () => {
  const text = '---\n' + BASE + '---\n# only a comment\n---\n' + edit('name: web', 'name: db').replace('keepLast: 3', 'keepWithin: 90m');
  const ps = ok(text);
  assert.deepEqual(
    ps.map((p) => [p.name, p.source.line, p.retention]),
    [
      ['web', 2, { keepLast: 3 }],
      ['db', 15, { keepWithinMs: 5_400_000 }],
    ],
  );
});

test('anchors and aliases within the limit work', () => {
  const text = edit('  retention:\n    keepLast: 3', '  retention: &keep\n    keepLast: 3\n    keepDaily: 7') + '---\n' +
    'apiVersion: xensnap.dev/v1\nkind: SnapshotPolicy\nmetadata: {name: db}\nspec:\n  selector: {names: [db]}\n  schedule: "0 0 * * *"\n  retention: {keepLast: 1}\n';
  const ps = ok(text);
  assert.deepEqual(ps.map((p) => p.retention), [{ keepLast: 3, keepDaily: 7 }, { keepLast: 1 }]);
});

test('edge values: 41-character name, counts 0 and 100000, 3650d', () => {
  const name = 'a' + '-'.repeat(39) + 'z';
  const text = edit('name: web', `name: ${name}`).replace('keepLast: 3', 'keepLast: 0\n    keepDaily: 100000\n    keepWithin: 3650d');
  const [p] = ok(text);
  assert.equal(p!.name, name);
  assert.deepEqual(p!.retention, { keepLast: 0, keepDaily: 100000, keepWithinMs: 3650 * 86_400_000 });
});

test('a hook name is only shape-checked without a host config', () => {
  assert.equal(ok(edit('  schedule:', '  hooks: anything_ok\n  schedule:'))[0]!.hooks, 'anything_ok');
});
