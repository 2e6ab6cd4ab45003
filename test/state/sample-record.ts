import type { SnapshotRecord } from '../../src/model/snapshot.js';

export const UUID = '3b9c1f0e-8d2a-4c61-9d1e-5a7f2c3b4d10';

/** A valid external policy snapshot record of domain web-3 (UUID above). */
export function sampleRecord(over: Partial<SnapshotRecord> = {}): SnapshotRecord {
  return {
    formatVersion: 1,
    name: 'web-hourly-20240101T100000Z',
    description: 'hourly crash-consistent snapshots of the web tier',
    domain: { uuid: UUID, name: 'web-3' },
    createdAt: '2024-01-01T10:00:02.250Z',
    slot: '2024-01-01T10:00:00Z',
    policy: 'web-hourly',
    policyRevision: '9f1c2ab',
    deletionPolicy: 'Retain',
    managedBy: 'xensnap',
    mode: 'disk-only',
    type: 'external',
    domainState: 'running',
    memoryFile: null,
    pinned: false,
    disks: [
      { vdev: 'xvda', format: 'qcow2', backend: 'qdisk', frozenPath: '/srv/images/web-3-xvda@web-hourly-20240101T100000Z.qcow2' },
      { vdev: 'xvdb', format: 'qcow2', backend: 'qdisk', frozenPath: '/srv/images/web-3-xvdb@web-hourly-20240101T100000Z.qcow2' },
    ],
    ...over,
  };
}
