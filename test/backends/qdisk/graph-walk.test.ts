// The snapshot-graph random walk (issue 14): on a shut-off two-disk domain, seeded sequences of
// guest writes, internal and external creates, deletes of any snapshot and reverts, checked after
// every delete and revert against raw references kept by the test (every snapshot's and each
// leaf's full content), against the test's own model of the graph (which image reads through
// which, where each tag lives), and with qemu-img check. The model is written for the test: it
// knows only that a frozen image holding tags needs its file, and its one child must hold none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, deleteOffline } from '../../../src/backends/qdisk/offline.js';
import * as img from '../../../src/backends/qdisk/qemu-img.js';
import { noJournal } from '../../../src/backends/backend.js';
import { applyTag, buildLeaf, switchDisk } from '../../../src/revert/revert-disk.js';
import type { SnapshotDiskRecord } from '../../../src/model/snapshot.js';
import { checkAll, snapshotContents } from '../../util/graph-oracle.js';
import { dirState, qdisk, testDomain, writePattern } from '../../util/image-refs.js';
import { mulberry32 } from '../../util/mulberry32.js';

const SIZE = 2 << 20;
const KiB = 1024;

interface Node { path: string; parent: string | null; tags: Set<string> }
interface Snap { name: string; type: 'internal' | 'external'; disks: number[]; recs: SnapshotDiskRecord[]; refs: Buffer[] }

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tally = { writes: 0, internal: 0, external: 0, deletes: 0, blocked: 0, extReverts: 0, intReverts: 0, tagLeafReverts: 0, steps: 0 };

async function walk(seed: number, steps: number, work: string): Promise<void> {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)]!;
  const dirs = [join(work, 'd0'), join(work, 'd1')];
  const leaves = dirs.map((d, i) => join(d, `disk${i}.qcow2`));
  for (const [i, d] of dirs.entries()) {
    await mkdir(d);
    await img.createQcow2(leaves[i]!, { size: SIZE });
  }
  const domain = testDomain(leaves.map((l, i) => qdisk(`xvd${'ab'[i]}`, l)));
  const leafRefs = leaves.map(() => Buffer.alloc(SIZE));
  const graphs: Map<string, Node>[] = leaves.map((l) => new Map([[l, { path: l, parent: null, tags: new Set<string>() }]]));
  const snaps: Snap[] = [];
  let n = 0;
  const frozenOf = (i: number, name: string) => join(dirs[i]!, `disk${i}@${name}.qcow2`);
  const children = (i: number, p: string) => [...graphs[i]!.values()].filter((x) => x.parent === p);

  const freezeModel = (i: number, name: string) => {
    const g = graphs[i]!;
    const leaf = g.get(leaves[i]!)!;
    const frozen = frozenOf(i, name);
    for (const c of children(i, leaves[i]!)) c.parent = frozen;
    g.set(frozen, { path: frozen, parent: leaf.parent, tags: leaf.tags });
    g.set(leaves[i]!, { path: leaves[i]!, parent: frozen, tags: new Set() });
  };
  const create = async (type: 'internal' | 'external', on: number[], name: string) => {
    const recs = await createOffline({ domain, disks: on.map((i) => domain.disks[i]!), snapshot: name, type }, noJournal);
    for (const i of on) {
      if (type === 'internal') graphs[i]!.get(leaves[i]!)!.tags.add(name);
      else freezeModel(i, name);
    }
    snaps.push({ name, type, disks: on, recs, refs: on.map((i) => Buffer.from(leafRefs[i]!)) });
  };
  /** In this model a delete is blocked only by tags in the frozen image, unless it has exactly one child, holding none. */
  const blocked = (s: Snap) => s.type === 'external' && s.disks.some((i) => {
    const f = graphs[i]!.get(frozenOf(i, s.name))!;
    if (!f.tags.size) return false;
    const kids = children(i, f.path);
    return !(kids.length === 1 && kids[0]!.tags.size === 0);
  });
  const verify = async (when: string) => {
    for (const [i, dir] of dirs.entries()) {
      const real = await snapshotContents(dir);
      const expected = new Map<string, string>([[`file:${leaves[i]}`, sha(leafRefs[i]!)]]);
      for (const s of snaps) {
        const k = s.disks.indexOf(i);
        if (k < 0) continue;
        expected.set(s.type === 'external' ? `file:${frozenOf(i, s.name)}` : `tag:${s.name}`, sha(s.refs[k]!));
      }
      assert.deepEqual(new Map([...real].sort()), new Map([...expected].sort()), `${when}: disk ${i} contents`);
      for (const node of graphs[i]!.values()) {
        const info = await img.info(node.path, { format: 'qcow2' });
        assert.equal(info.backingPath, node.parent, `${when}: ${node.path} reads through`);
        assert.deepEqual(info.snapshots.map((x) => x.name).sort(), [...node.tags].sort(), `${when}: tags in ${node.path}`);
      }
      assert.deepEqual((await readdir(dir)).sort(), [...graphs[i]!.keys()].map((p) => p.slice(dir.length + 1)).sort(), `${when}: files of disk ${i}`);
      assert.deepEqual(await checkAll(dir), [], when);
    }
  };

  for (let step = 0; step < steps; step++) {
    tally.steps++;
    const r = rnd();
    const when = `seed ${seed} step ${step}`;
    if (r < 0.35 || snaps.length === 0 && r < 0.5) {
      const i = int(2);
      const len = (1 + int(24)) * 4 * KiB;
      const off = int((SIZE - len) / (4 * KiB) + 1) * 4 * KiB;
      const pattern = 1 + int(255);
      await writePattern(leaves[i]!, 'qcow2', pattern, off, len);
      leafRefs[i]!.fill(pattern, off, off + len);
      tally.writes++;
    } else if (r < 0.62 || snaps.length < 2) {
      const type = rnd() < 0.45 ? 'internal' : 'external';
      const on = rnd() < 0.5 ? [0, 1] : [int(2)];
      await create(type, on, `s${++n}`);
      tally[type]++;
    } else if (r < 0.88 || snaps.length > 10) {
      const s = pick(snaps);
      const req = { domain, snapshot: s.name, type: s.type, disks: s.recs };
      if (blocked(s)) {
        const before = await Promise.all(dirs.map((d) => dirState(d)));
        await assert.rejects(deleteOffline(req, noJournal), /internal snapshots? .* live/, when);
        assert.deepEqual(await Promise.all(dirs.map((d) => dirState(d))), before, `${when}: a refused delete changes nothing`);
        tally.blocked++;
        continue;
      }
      await deleteOffline(req, noJournal);
      for (const i of s.disks) {
        const g = graphs[i]!;
        if (s.type === 'internal') {
          for (const node of g.values()) node.tags.delete(s.name);
          continue;
        }
        const f = g.get(frozenOf(i, s.name))!;
        const kids = children(i, f.path);
        if (f.tags.size) kids[0]!.tags = f.tags; // F took its only child's place by commit
        for (const c of kids) c.parent = f.parent;
        g.delete(f.path);
      }
      snaps.splice(snaps.indexOf(s), 1);
      tally.deletes++;
      await verify(`${when} after deleting ${s.name}`);
    } else {
      // revert to a snapshot: the current disks are kept as a pre-revert snapshot first
      const s = pick(snaps);
      const pre = `pre${++n}`;
      const inLeaf = s.type === 'internal' && s.disks.every((i) => graphs[i]!.get(leaves[i]!)!.tags.has(s.name));
      if (inLeaf) {
        // the tag lives in every leaf: applied in place, the pre-revert snapshot a tag beside it
        await create('internal', s.disks, pre);
        for (const [k, i] of s.disks.entries()) {
          await applyTag(leaves[i]!, s.name);
          s.refs[k]!.copy(leafRefs[i]!);
        }
        tally.intReverts++;
      } else {
        // a new leaf over the frozen image, or over the image holding the tag (its clusters that
        // differ from that image's active layer copied in); the old leaf is frozen first
        await create('external', s.disks, pre);
        for (const [k, i] of s.disks.entries()) {
          const holder = s.type === 'external' ? frozenOf(i, s.name) : [...graphs[i]!.values()].find((x) => x.tags.has(s.name))!.path;
          const d = { vdev: `xvd${'ab'[i]}`, leaf: leaves[i]!, format: 'qcow2' as const, method: s.type === 'external' ? ('fresh-leaf' as const) : ('tag-leaf' as const), tag: s.type === 'internal' ? s.name : null, source: holder, temp: join(dirs[i]!, '.new-leaf'), scratch: join(dirs[i]!, '.scratch') };
          await buildLeaf(d);
          await switchDisk(d);
          graphs[i]!.set(leaves[i]!, { path: leaves[i]!, parent: holder, tags: new Set() });
          s.refs[k]!.copy(leafRefs[i]!);
        }
        tally[s.type === 'external' ? 'extReverts' : 'tagLeafReverts']++;
      }
      await verify(`${when} after reverting to ${s.name}`);
    }
  }
  await verify(`seed ${seed} end`);
}

for (const [seed, steps] of [[7, 110], [8, 110], [9, 110]] as const) {
  test(`graph walk, seed ${seed}: ${steps} steps of writes, creates, deletes and reverts on two disks keep every snapshot exact`, async (t) => {
    const work = await mkdtemp(join(tmpdir(), `xensnap-walk-${seed}-`));
    t.after(() => rm(work, { recursive: true, force: true }));
    await walk(seed, steps, work);
  });
}

test('the walks took at least 300 steps and every kind of step', (t) => {
  t.diagnostic(JSON.stringify(tally));
  assert.ok(tally.steps >= 300, JSON.stringify(tally));
  for (const [k, v] of Object.entries(tally)) assert.ok(v >= 3, `too few ${k}: ${JSON.stringify(tally)}`);
});
