// One plan touching every line kind, shared by the view tests.
import type { Plan } from '../../src/plan/plan-types.js';
import { plan } from '../../src/plan/plan.js';
import { disk, domain, foreign, hourlySlots, observed, policy, slotSnap } from '../plan/fixtures.js';

export function fixturePlan(): Plan {
  const web = domain('web-1', { uuid: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10', key: '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10' });
  const db = domain('db-1', { disks: [disk('xvda'), disk('xvdb', { backend: 'phy', format: 'raw', path: '/dev/vg0/db' })] });
  const idle = domain('idle');
  const webSnaps = hourlySlots('2026-11-26T03:00:00Z', 4).map((s, i) => slotSnap(web, 'web-hourly', s, { frozen: `/img/f${i}` }));
  const obs = observed([web, db, idle], [...webSnaps, foreign(web, 'before-upgrade'), slotSnap(db, 'retired', '2026-11-01T00:00:00Z'), slotSnap(idle, 'web-hourly', '2026-11-26T04:00:00Z')]);
  obs.domains[0]!.disks = [{
    vdev: 'xvda', leaf: '/srv/images/xvda.qcow2', internal: [],
    chain: ['/srv/images/xvda.qcow2', '/img/f3', '/img/f2', '/img/f1', '/img/f0'].map((path, i, all) => ({
      path, format: 'qcow2', virtualSize: 1 << 30, allocatedBytes: [5 << 20, 3 << 20, 2 << 20, 1 << 20, 64 << 20][i]!, backing: all[i + 1] ?? null,
    })),
  }];
  return plan({
    policies: [policy('web-hourly', { selector: { names: ['web-*', 'db-*', 'idle'], uuids: [], exclude: [], states: [] } }, { keepLast: 2, keepDaily: 1 })],
    observed: obs,
    now: new Date('2026-11-26T04:20:00Z'),
    limits: { maxDeletes: 50, halfGuard: false },
  });
}
