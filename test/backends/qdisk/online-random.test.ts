import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frozenImagePath, noJournal } from '../../../src/backends/backend.js';
import { QdiskBackend } from '../../../src/backends/qdisk/qdisk-backend.js';
import type { Disk } from '../../../src/model/domain.js';
import type { SnapshotDiskRecord } from '../../../src/model/snapshot.js';
import { QmpClient } from '../../../src/qmp/qmp-client.js';
import { startVm } from '../../util/qemu-vm.js';
import { assertContent, check, DiskModel, guestFlush, guestWrite, listDir, makeDisks, nodeNames, runningDomain, tempDir } from './online-fixture.js';
import { mulberry32 as prng } from '../../util/mulberry32.js';

const SIZE = 2 * 1024 * 1024;

interface Img {
  path: string;
  tags: string[];
}
interface Snap {
  type: 'internal' | 'external';
  disks: number[];
  refs: Buffer[];
  records: SnapshotDiskRecord[];
}

/** Runs `ops` random creates/deletes (plus guest writes between them) and checks every snapshot against the model. */
async function randomSequence(t: { after: (fn: () => unknown) => void; diagnostic: (m: string) => void }, seed: number, ops: number, pExternal: number): Promise<void> {
  const rnd = prng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const dir = await tempDir(t, `onl-rnd${seed}`);
  const disks: Disk[] = await makeDisks(dir, 3, SIZE >> 20);
  const vm = await startVm({ dir, disks: disks.map((d) => ({ path: d.path })) });
  t.after(() => vm.stop());
  const c = await vm.client();
  t.after(() => c.close());
  const domain = runningDomain(disks, vm.qmpPath, seed % 2 ? 'running' : 'paused');
  if (domain.state === 'running') await c.execute('cont');
  const backend = new QdiskBackend({ connect: (d) => QmpClient.connect(d.qmp!) });
  const models = disks.map(() => new DiskModel(SIZE));
  const chains: Img[][] = disks.map((d) => [{ path: d.path, tags: [] }]);
  const snaps = new Map<string, Snap>();
  const flushAll = async () => {
    for (let i = 0; i < disks.length; i++) await guestFlush(c, i);
  };
  const verifySnap = async (name: string, s: Snap) => {
    for (const [k, i] of s.disks.entries()) {
      if (s.type === 'external') await assertContent(dir, frozenImagePath(disks[i]!.path, name), s.refs[k]!);
      else await assertContent(dir, chains[i]!.find((img) => img.tags.includes(name))!.path, s.refs[k]!, name);
    }
  };
  const verifyAll = async () => {
    await flushAll();
    for (const [name, s] of snaps) await verifySnap(name, s);
    for (let i = 0; i < disks.length; i++) await assertContent(dir, disks[i]!.path, models[i]!.data);
    assert.equal((await nodeNames(c)).length, chains.reduce((n, ch) => n + 2 * ch.length, 0));
  };
  let done = 0;
  let refusals = 0;
  const tally: Record<string, number> = {};
  const count = (k: string) => (tally[k] = (tally[k] ?? 0) + 1);
  for (let step = 0; done < ops; step++) {
    const r = rnd();
    if (r < 0.35) {
      const i = pick(disks.length);
      const len = 512 * (1 + pick(256));
      const off = 512 * pick((SIZE - len) / 512 + 1);
      await guestWrite(c, i, models[i]!, 1 + pick(255), off, len);
      continue;
    }
    done++;
    if (r < 0.68 || snaps.size === 0) {
      const type = rnd() < pExternal ? 'external' : 'internal';
      const chosen = [0, 1, 2].filter(() => rnd() < 0.6);
      if (chosen.length === 0) chosen.push(pick(3));
      const name = `r${seed}-${step}`;
      const records = await backend.create({ domain, disks: chosen.map((i) => disks[i]!), snapshot: name, type }, noJournal);
      const s: Snap = { type, disks: chosen, refs: chosen.map((i) => models[i]!.snapshot()), records };
      for (const i of chosen) {
        const ch = chains[i]!;
        if (type === 'internal') ch.at(-1)!.tags.push(name);
        else {
          ch.at(-1)!.path = frozenImagePath(disks[i]!.path, name);
          ch.push({ path: disks[i]!.path, tags: [] });
        }
      }
      snaps.set(name, s);
      count(`create-${type}-${chosen.length}disk`);
      await flushAll();
      await verifySnap(name, s);
    } else {
      const names = [...snaps.keys()];
      const name = names[pick(names.length)]!;
      const s = snaps.get(name)!;
      const refusal = predictRefusal(name, s);
      const del = backend.delete({ domain, snapshot: name, type: s.type, disks: s.records }, noJournal);
      if (refusal) {
        refusals++;
        count(`refused-delete-${s.type}`);
        await assert.rejects(del, { message: refusal });
      } else {
        await del;
        count(`delete-${s.type}`);
        snaps.delete(name);
        for (const i of s.disks) {
          const ch = chains[i]!;
          if (s.type === 'internal') ch.at(-1)!.tags = ch.at(-1)!.tags.filter((x) => x !== name);
          else ch.splice(ch.findIndex((img) => img.path === frozenImagePath(disks[i]!.path, name)), 1);
        }
      }
    }
    if (done % 10 === 0) await verifyAll();
  }
  await verifyAll();
  const expectedFiles = chains.flatMap((ch) => ch.map((img) => img.path.slice(dir.length + 1))).sort();
  assert.deepEqual(await listDir(dir), expectedFiles);
  c.close();
  await vm.stop();
  for (const ch of chains) for (const img of ch) await check(img.path);
  for (let i = 0; i < disks.length; i++) await assertContent(dir, disks[i]!.path, models[i]!.data);
  assert.ok(refusals < ops / 2, `${refusals} refusals`);
  t.diagnostic(JSON.stringify(tally));

  function predictRefusal(name: string, s: Snap): string | null {
    const pl = (xs: string[], one: string, many: string) => (xs.length > 1 ? many : one);
    for (const i of s.disks) {
      const ch = chains[i]!;
      const vdev = disks[i]!.vdev;
      const refuse = (why: string) => `cannot delete snapshot "${name}" from disk ${vdev}: ${why}; nothing was changed`;
      if (s.type === 'internal') {
        const at = ch.findIndex((img) => img.tags.includes(name));
        if (at !== ch.length - 1) {
          return refuse(`internal snapshot "${name}" lives in ${ch[at]!.path}, below the active image of the running domain; QEMU deletes internal snapshots only in the active image, so it is deleted once the domain is shut off`);
        }
      } else {
        const at = ch.findIndex((img) => img.path === frozenImagePath(disks[i]!.path, name));
        const f = ch[at]!;
        const child = ch[at + 1]!;
        if (f.tags.length) {
          const why = `internal snapshot${pl(f.tags, '', 's')} ${f.tags.join(', ')} live${pl(f.tags, 's', '')} in ${f.path}`;
          if (child.tags.length) return refuse(`${why}, and internal snapshots ${child.tags.join(', ')} in ${child.path} read through it`);
          return refuse(`${why}; committing ${child.path} into it keeps them, but only offline: it is done once the domain is shut off`);
        }
        if (child.tags.length) {
          return refuse(`internal snapshot${pl(child.tags, '', 's')} ${child.tags.join(', ')} in ${child.path} read${pl(child.tags, 's', '')} through ${f.path} and the domain is running; a merge that keeps them exact runs offline, once the domain is shut off`);
        }
      }
    }
    return null;
  }
}

test('random online sequence, seed 1 (running, mixed types): 40 creates/deletes over 1-3 disks', async (t) => {
  await randomSequence(t, 1, 40, 0.5);
});

test('random online sequence, seed 2 (paused, mostly external): 40 creates/deletes over 1-3 disks', async (t) => {
  await randomSequence(t, 2, 40, 0.85);
});

test('random online sequence, seed 3 (running, mostly external): 40 creates/deletes over 1-3 disks', async (t) => {
  await randomSequence(t, 3, 40, 0.85);
});

