// Builds qcow2 metadata byte by byte (header, extensions, backing name, snapshot table) for unit
// tests of cases qemu-img never writes: no extra data, 64-bit VM state, unknown extra bytes.
// Only what the reader looks at is filled in; there are no L1 or refcount tables.

export interface BuildSnapshot {
  id: string;
  name: string;
  dateSec?: number;
  dateNsec?: number;
  vmState32?: number;
  /** Raw extra data (QEMU writes 24 bytes: vm state u64, disk size u64, icount i64). */
  extra?: Buffer;
}

export interface BuildOptions {
  version?: 2 | 3;
  clusterBits?: number;
  virtualSize?: bigint;
  backingFile?: string;
  backingFormat?: string;
  /** Extensions written before the backing format one. */
  extensions?: { type: number; data: Buffer }[];
  omitEndMarker?: boolean;
  incompatible?: bigint;
  snapshots?: BuildSnapshot[];
}

export function extraData(vmState: bigint, diskSize: bigint, icount = -1n): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64BE(vmState, 0);
  b.writeBigUInt64BE(diskSize, 8);
  b.writeBigInt64BE(icount, 16);
  return b;
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

export function snapshotTable(snapshots: BuildSnapshot[]): Buffer {
  const parts = snapshots.map((s) => {
    const id = Buffer.from(s.id, 'utf8');
    const name = Buffer.from(s.name, 'utf8');
    const extra = s.extra ?? Buffer.alloc(0);
    const e = Buffer.alloc(pad8(40 + extra.length + id.length + name.length));
    e.writeBigUInt64BE(0x30000n, 0); // L1 table offset (not read)
    e.writeUInt32BE(1, 8);
    e.writeUInt16BE(id.length, 12);
    e.writeUInt16BE(name.length, 14);
    e.writeUInt32BE(s.dateSec ?? 1_700_000_000, 16);
    e.writeUInt32BE(s.dateNsec ?? 0, 20);
    e.writeUInt32BE(s.vmState32 ?? 0, 32);
    e.writeUInt32BE(extra.length, 36);
    extra.copy(e, 40);
    id.copy(e, 40 + extra.length);
    name.copy(e, 40 + extra.length + id.length);
    return e;
  });
  return Buffer.concat(parts);
}

/** Cluster 0: header, extensions, backing name; the snapshot table from cluster 1. */
export function buildQcow2(o: BuildOptions = {}): Buffer {
  const version = o.version ?? 3;
  const clusterBits = o.clusterBits ?? 16;
  const cluster = 2 ** clusterBits;
  const table = snapshotTable(o.snapshots ?? []);
  const clustersForTable = Math.ceil(table.length / cluster);
  const buf = Buffer.alloc(cluster * (1 + Math.max(1, clustersForTable)));
  buf.writeUInt32BE(0x514649fb, 0);
  buf.writeUInt32BE(version, 4);
  buf.writeUInt32BE(clusterBits, 20);
  buf.writeBigUInt64BE(o.virtualSize ?? 1n << 30n, 24);
  buf.writeUInt32BE(o.snapshots?.length ?? 0, 60);
  buf.writeBigUInt64BE(o.snapshots?.length ? BigInt(cluster) : 0n, 64);
  const headerLength = version === 3 ? 104 : 72;
  if (version === 3) {
    buf.writeBigUInt64BE(o.incompatible ?? 0n, 72);
    buf.writeUInt32BE(4, 96);
    buf.writeUInt32BE(headerLength, 100);
  }
  let at = headerLength;
  const exts = [...(o.extensions ?? [])];
  if (o.backingFormat !== undefined) exts.push({ type: 0xe2792aca, data: Buffer.from(o.backingFormat) });
  for (const e of exts) {
    buf.writeUInt32BE(e.type, at);
    buf.writeUInt32BE(e.data.length, at + 4);
    e.data.copy(buf, at + 8);
    at += 8 + pad8(e.data.length);
  }
  if (!o.omitEndMarker) at += 8; // type 0, length 0: already zero
  if (o.backingFile !== undefined) {
    const name = Buffer.from(o.backingFile);
    buf.writeBigUInt64BE(BigInt(at), 8);
    buf.writeUInt32BE(name.length, 16);
    name.copy(buf, at);
  }
  table.copy(buf, cluster);
  return buf;
}
