import { BackendError } from '../../errors.js';
import type { QmpClient } from '../../qmp/qmp-client.js';

/** One block-driver node of a running QEMU; `file`/`backing` are child node names (null: none). */
export interface BlockNode {
  name: string;
  drv: string;
  /** The file name QEMU reports for the node (for a format node, its image file). */
  filename: string;
  readOnly: boolean;
  virtualSize: number;
  /** Names in the node's internal snapshot table (qcow2 only). */
  snapshots: string[];
  file: string | null;
  backing: string | null;
  /** Names of the block nodes that have this node as a child. */
  parents: string[];
  /** True when a device (block backend) uses this node as its root. */
  attached: boolean;
  /** Cache mode as QEMU reports it (O_DIRECT, flushes ignored). */
  cacheDirect: boolean;
  cacheNoFlush: boolean;
  /** `detect-zeroes`: off, on or unmap. */
  detectZeroes: string;
}

/** The named-node graph of a QEMU at one moment; every child name refers to a node in `nodes`. */
export interface BlockGraph {
  nodes: Map<string, BlockNode>;
}

interface NamedNode {
  'node-name': string;
  drv: string;
  file: string;
  ro: boolean;
  cache?: { direct?: boolean; 'no-flush'?: boolean };
  detect_zeroes?: string;
  image?: { 'virtual-size'?: number; snapshots?: Array<{ name: string }> };
}
interface DebugGraph {
  nodes: Array<{ id: number; name: string; type: string }>;
  edges: Array<{ parent: number; child: number; name: string }>;
}

/** Reads the graph through `query-named-block-nodes` (flat) and `x-debug-query-block-graph` (edges). */
export async function readBlockGraph(client: QmpClient): Promise<BlockGraph> {
  const named = await client.execute<NamedNode[]>('query-named-block-nodes', { flat: true });
  const dbg = await client.execute<DebugGraph>('x-debug-query-block-graph');
  const nodes = new Map<string, BlockNode>();
  for (const n of named) {
    nodes.set(n['node-name'], {
      name: n['node-name'],
      drv: n.drv,
      filename: n.file,
      readOnly: n.ro,
      virtualSize: n.image?.['virtual-size'] ?? 0,
      snapshots: (n.image?.snapshots ?? []).map((s) => s.name),
      file: null,
      backing: null,
      parents: [],
      attached: false,
      cacheDirect: n.cache?.direct ?? false,
      cacheNoFlush: n.cache?.['no-flush'] ?? false,
      detectZeroes: n.detect_zeroes ?? 'off',
    });
  }
  const byId = new Map(dbg.nodes.map((n) => [n.id, n]));
  for (const e of dbg.edges) {
    const parent = byId.get(e.parent);
    const child = byId.get(e.child);
    const c = child ? nodes.get(child.name) : undefined;
    if (!parent || !c) continue;
    if (parent.type === 'block-backend') {
      c.attached = true;
      continue;
    }
    const p = nodes.get(parent.name);
    if (!p) continue;
    c.parents.push(p.name);
    if (e.name === 'file') p.file = c.name;
    else if (e.name === 'backing') p.backing = c.name;
  }
  return { nodes };
}

/**
 * A node QEMU named itself (`#blockNNN`): a child opened inline with its parent, as xen-block opens
 * the file node of every qdisk disk. blockdev-del cannot remove it and blockdev-add cannot reuse the
 * name; QEMU frees it when its last parent lets go.
 */
export function isImplicitNode(name: string): boolean {
  return name.startsWith('#');
}

/** The image file a format node reads: its file child's filename (refreshed by QEMU on reopen). */
export function imagePathOf(graph: BlockGraph, node: BlockNode): string {
  const file = node.file ? graph.nodes.get(node.file) : undefined;
  return file ? file.filename : node.filename;
}

/**
 * The top (active) format node of the disk whose leaf file is `leafPath`: the node attached to a
 * device whose image is the leaf (or, when none is attached, the only non-backing node on it).
 */
export function findTop(graph: BlockGraph, leafPath: string, vdev: string): BlockNode {
  const candidates = [...graph.nodes.values()].filter(
    (n) => n.drv !== 'file' && !n.parents.some((p) => graph.nodes.get(p)?.backing === n.name) && imagePathOf(graph, n) === leafPath,
  );
  const tops = candidates.filter((n) => n.attached);
  const pick = tops.length ? tops : candidates;
  if (pick.length !== 1) {
    const why = pick.length ? `${pick.length} nodes (${pick.map((n) => n.name).join(', ')})` : 'no node';
    throw new BackendError(`disk ${vdev}: ${why} in the running QEMU use ${leafPath} as the active image`, {
      command: ['qmp', 'query-named-block-nodes'],
    });
  }
  return pick[0]!;
}

/** The format nodes from `top` down its backing chain (top first). */
export function chainOf(graph: BlockGraph, top: BlockNode): BlockNode[] {
  const out: BlockNode[] = [];
  const seen = new Set<string>();
  for (let n: BlockNode | undefined = top; n; n = n.backing ? graph.nodes.get(n.backing) : undefined) {
    if (seen.has(n.name)) throw new BackendError(`backing chain of node ${top.name} loops at ${n.name}`);
    seen.add(n.name);
    out.push(n);
  }
  return out;
}
