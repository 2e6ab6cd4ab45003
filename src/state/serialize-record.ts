import type { SnapshotDiskRecord, SnapshotRecord } from '../model/snapshot.js';

function diskInOrder(d: SnapshotDiskRecord): SnapshotDiskRecord {
  return {
    vdev: d.vdev,
    format: d.format,
    backend: d.backend,
    ...(d.tag !== undefined ? { tag: d.tag } : {}),
    ...(d.frozenPath !== undefined ? { frozenPath: d.frozenPath } : {}),
  };
}

/**
 * The bytes of a record file: pretty-printed JSON (2 spaces) with a trailing newline, fields in
 * a fixed order whatever order the object was built in, so the same record is always the same file.
 */
export function serializeRecord(r: SnapshotRecord): string {
  const ordered: SnapshotRecord = {
    formatVersion: r.formatVersion,
    name: r.name,
    description: r.description,
    domain: { uuid: r.domain.uuid, name: r.domain.name },
    createdAt: r.createdAt,
    slot: r.slot,
    policy: r.policy,
    policyRevision: r.policyRevision,
    deletionPolicy: r.deletionPolicy,
    managedBy: r.managedBy,
    mode: r.mode,
    type: r.type,
    domainState: r.domainState,
    memoryFile: r.memoryFile,
    pinned: r.pinned,
    disks: r.disks.map(diskInOrder),
    ...(r.quiesced !== undefined ? { quiesced: r.quiesced } : {}),
    ...(r.requested !== undefined ? { requested: { mode: r.requested.mode, quiesce: r.requested.quiesce } } : {}),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
