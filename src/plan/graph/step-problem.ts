import type { DiskDeleteStep } from '../plan-types.js';
import type { VirtualGraph } from './virtual-graph.js';

/**
 * Whether a planned delete step may still run on the graph as it is now: null when it is safe
 * (or already done), else why not. It allows the partial progress of an interrupted run of the
 * same step (children already re-linked to F's parent, F already gone), so the executor and
 * recovery share it; anything else that changed — a new reader of F, a tag that moved, an image
 * now open in a running domain that needs offline work — is a reason to stop. Pure.
 */
export function stepProblem(g: VirtualGraph, step: DiskDeleteStep): string | null {
  switch (step.method) {
    case 'delete-tag': {
      const holders = g.holdersOf(step.tag);
      if (holders.length === 0) return null;
      const copies = holders.reduce((n, h) => n + h.tags.filter((t) => t.name === step.tag).length, 0);
      if (copies > 1) return `internal snapshot "${step.tag}" now appears ${copies} times`;
      const x = holders[0]!;
      if (x.path !== step.image) return `internal snapshot "${step.tag}" is in ${x.path} now, not in ${step.image}`;
      if (x.live && x.path !== g.leaf) return `${x.path} is below the active image of the running domain, where QEMU cannot delete internal snapshots`;
      return null;
    }
    case 'remove': {
      const f = g.get(step.image);
      if (!f) return null;
      if (step.image === g.leaf) return `${step.image} is the leaf now`;
      if (f.tags.length) return `${step.image} holds internal snapshots now (${f.tags.map((t) => t.name).join(', ')})`;
      const kids = g.children(step.image);
      if (kids.length) return `${kids.map((k) => k.path).join(', ')} read${kids.length > 1 ? '' : 's'} through ${step.image} now`;
      return null;
    }
    case 'stream': {
      const f = g.get(step.image);
      const planned = new Set(step.children.map((c) => c.path));
      for (const c of step.children) {
        const now = g.get(c.path);
        if (now && now.backing !== step.image && now.backing !== step.parent) return `${c.path} reads through ${now.backing ?? 'nothing'}, neither ${step.image} nor ${step.parent ?? 'no backing file'}`;
      }
      if (!f) return null;
      if (step.image === g.leaf) return `${step.image} is the leaf now`;
      if (f.tags.length) return `${step.image} holds internal snapshots now (${f.tags.map((t) => t.name).join(', ')})`;
      if (f.backing !== step.parent) return `${step.image} reads through ${f.backing ?? 'nothing'} now, not ${step.parent ?? 'no backing file'}`;
      for (const c of g.children(step.image)) {
        if (!planned.has(c.path)) return `${c.path} reads through ${step.image} and was not in the plan`;
        if (c.tags.length && c.live) return `internal snapshots in ${c.path} read through ${step.image} and it is open in the running domain`;
        if (c.tags.length && (f.format !== 'qcow2' || c.format !== 'qcow2')) return `internal snapshots in ${c.path} read through ${step.image}, which is not qcow2`;
      }
      return null;
    }
    case 'commit': {
      const f = g.get(step.image);
      if (!f) return null;
      const kids = g.children(step.image);
      if (kids.length !== 1 || kids[0]!.path !== step.child) return `${step.image} is read by ${kids.map((k) => k.path).join(', ') || 'nothing'} now, not only by ${step.child}`;
      const c = kids[0]!;
      if (c.tags.length) return `${c.path} holds internal snapshots now`;
      if (f.live || c.live) return `${step.image} is open in the running domain; a commit runs offline`;
      if (f.backing !== step.parent) return `${step.image} reads through ${f.backing ?? 'nothing'} now, not ${step.parent ?? 'no backing file'}`;
      return null;
    }
  }
}
