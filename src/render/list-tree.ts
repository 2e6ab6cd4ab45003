import type { Observed } from '../model/observed.js';
import { chainDepth } from '../plan/chain-depth.js';
import { diskGraph, type GraphImage } from '../plan/graph/disk-graph.js';

/**
 * `--tree`: each disk's snapshot graph from its base up, every branch included (side branches
 * left by reverts, images other disks share), with the chain depth (images in the leaf's chain,
 * as maxChainDepth counts) and what each image and internal snapshot is. The current chain is
 * the last child at each level, so it reads as the trunk.
 */
export function renderListTree(observed: Observed): string {
  const out: string[] = [];
  for (const d of observed.domains) {
    out.push(`${d.domain.name} (${d.domain.state})`);
    const snaps = observed.snapshots.filter((s) => s.domainKey === d.domain.key);
    for (const disk of d.disks) {
      out.push(`  ${disk.vdev}: ${disk.leaf} (depth ${chainDepth(disk)})`);
      const g = diskGraph(disk, snaps);
      const byPath = new Map(g.images.map((i) => [i.path, i]));
      const roots = g.images.filter((i) => i.backing === null || !byPath.has(i.backing));
      const draw = (img: GraphImage, lead: string, branch: string, cont: string) => {
        out.push(`${lead}${branch}${line(img)}`);
        const kids = img.children.map((p) => byPath.get(p)!).sort((a, b) => Number(a.role !== 'branch') - Number(b.role !== 'branch') || (a.path < b.path ? -1 : 1));
        for (const t of img.tags) out.push(`${lead}${cont}${kids.length ? '│  ' : '   '}• internal "${t.name}" [${t.owner.origin}]`);
        kids.forEach((k, i) => {
          const last = i === kids.length - 1;
          draw(k, lead + cont, last ? '└─ ' : '├─ ', last ? '   ' : '│  ');
        });
      };
      for (const r of roots) draw(r, '    ', '', '');
    }
  }
  const shown = new Set(observed.domains.map((d) => d.domain.name));
  for (const s of observed.skipped ?? []) if (!shown.has(s.name)) out.push(`${s.name} (skipped: ${s.reason})`);
  if (observed.scan) out.push(`(side branches and images shared with other disks were looked for in ${observed.scan.dirs.join(', ') || 'no directory'})`);
  return out.join('\n') + '\n';
}

function line(i: GraphImage): string {
  const what = i.role === 'leaf' ? 'leaf' : `${i.owner!.snapshot} [${i.owner!.origin}]`;
  const notes = [...(i.role === 'branch' ? ['side branch'] : []), ...(i.sharedBy.length ? [`also read by ${i.sharedBy.map((s) => `${s.domain} ${s.vdev}`).join(', ')}`] : [])];
  return `${i.path} ${i.format} ${what}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}
