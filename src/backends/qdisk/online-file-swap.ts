import type { QmpClient } from '../../qmp/qmp-client.js';
import { isImplicitNode, type BlockNode } from './node-graph.js';
import { lockless, type NodeSettings } from './node-settings.js';

export type { FileLocking } from './node-settings.js';

/** The options `blockdev-reopen` needs to keep a format node as it is except for its file child. */
function reopenOptions(node: BlockNode, file: string): Record<string, unknown> {
  const o: Record<string, unknown> = { driver: node.drv, 'node-name': node.name, file };
  // raw has no backing option; for qcow2 leaving it out would mean "open the default backing".
  if (node.drv !== 'raw') o.backing = node.backing;
  return o;
}

/**
 * Moves format node `node` (currently on file node `node.file`) onto a new file node `newFile`
 * opened at `path`. Two hops (LIVE-EXTERNAL step 3): a lock-less temporary node first, because
 * the old and new file nodes name the same inode and would otherwise fight over its locks.
 * On return `oldFile` is deleted and `newFile` is `node`'s file child. Both new nodes carry the
 * guest's disk settings (node-settings.ts).
 */
export async function swapFileNode(
  client: QmpClient,
  node: BlockNode,
  path: string,
  names: { tmp: string; newFile: string },
  settings: NodeSettings,
): Promise<void> {
  const oldFile = node.file;
  await client.execute('blockdev-add', { driver: 'file', 'node-name': names.tmp, filename: path, ...lockless(settings) });
  try {
    await client.execute('blockdev-reopen', { options: [reopenOptions(node, names.tmp)] });
  } catch (err) {
    await client.execute('blockdev-del', { 'node-name': names.tmp }).catch(() => {});
    throw err;
  }
  // From here the node sits on the temporary node; keep going, or undo recovers from the graph.
  // an implicit file node (xen-block's) went with the reopen; one added by name must be deleted
  if (oldFile && !isImplicitNode(oldFile)) await client.execute('blockdev-del', { 'node-name': oldFile });
  await client.execute('blockdev-add', { driver: 'file', 'node-name': names.newFile, filename: path, ...settings.file });
  await client.execute('blockdev-reopen', { options: [reopenOptions(node, names.newFile)] });
  await client.execute('blockdev-del', { 'node-name': names.tmp });
}
