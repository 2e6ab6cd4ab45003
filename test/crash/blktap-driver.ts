// Child process for the running-blktap crash tests: one create or delete through runAction with the
// real journal, so XENSNAP_TEST_CRASH_AT kills it with the tapdisks paused.
// usage: node blktap-driver.js <domain.json> <stateDir> <create|delete> <snapshot>
import { readFileSync } from 'node:fs';
import { BlktapBackend } from '../../src/backends/blktap/blktap-backend.js';
import { frozenImagePath } from '../../src/backends/backend.js';
import { runAction } from '../../src/apply/run-action.js';
import { recordStore } from '../../src/apply/reconcile-once.js';
import type { Domain } from '../../src/model/domain.js';

const [domainFile, stateDir, action, snapshot] = process.argv.slice(2) as [string, string, 'create' | 'delete', string];
// `node --test dist/test/` also loads every .js under test/: without arguments this file does nothing
if (!snapshot) process.exit(0);
const domain = JSON.parse(readFileSync(domainFile, 'utf8')) as Domain;
const backend = new BlktapBackend();
const disks = domain.disks.map((d) => ({ vdev: d.vdev, format: d.format, backend: d.backend, frozenPath: frozenImagePath(d.path, snapshot) }));
const r = await runAction(
  { action, domain: { key: domain.key, uuid: domain.uuid, name: domain.name }, policy: null, snapshot, slot: null, mode: 'disk-only', type: 'external', disks: domain.disks.map((d) => d.vdev), reason: 'test' },
  domain,
  {
    stateDir,
    snapshots: [{ domainKey: domain.key, name: snapshot, createdAt: '2026-01-01T00:00:00Z', managed: true, record: null, type: 'external', disks }],
    policies: [],
    backends: { qdisk: backend as never, blktap: backend },
    now: () => new Date('2026-01-01T00:00:00Z'),
    records: recordStore,
  },
);
process.stdout.write(JSON.stringify({ status: r.status, message: r.message }) + '\n');
process.exit(r.status === 'ok' ? 0 : 1);
