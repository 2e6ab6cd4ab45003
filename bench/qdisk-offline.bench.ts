// Offline qdisk snapshots: xensnap's qemu-img path against a plain qemu-img loop, same run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createOffline, deleteOffline } from '../src/backends/qdisk/offline.js';
import * as img from '../src/backends/qdisk/qemu-img.js';
import { noJournal } from '../src/backends/backend.js';
import { run } from '../src/util/exec.js';
import type { Domain } from '../src/model/domain.js';
import { median, percentile } from './stats.js';

const N = 200;
const EXTERNAL_RUNS = 30;

function domainOf(path: string): Domain {
  return { key: 'bench', uuid: null, name: 'bench', state: 'shutoff', disks: [{ vdev: 'xvda', path, format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false }] };
}

async function newImage(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await img.createQcow2(path, { size: 16 << 20 });
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 1M', path]);
  return path;
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-bench-'));
  try {
    // Baseline: the bare commands, no checks.
    const plain = await newImage(dir, 'plain.qcow2');
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await run('qemu-img', ['snapshot', '-c', `b${i}`, plain]);
    for (let i = 0; i < N; i++) await run('qemu-img', ['snapshot', '-d', `b${i}`, plain]);
    const plainMs = performance.now() - t0;

    // xensnap: duplicate/ambiguity checks (qemu-img info) + journaled steps.
    const ours = await newImage(dir, 'ours.qcow2');
    const domain = domainOf(ours);
    t0 = performance.now();
    for (let i = 0; i < N; i++) await createOffline({ domain, disks: domain.disks, snapshot: `b${i}`, type: 'internal' }, noJournal);
    for (let i = 0; i < N; i++) {
      await deleteOffline({ domain, snapshot: `b${i}`, type: 'internal', disks: [{ vdev: 'xvda', format: 'qcow2', backend: 'qdisk', tag: `b${i}` }] }, noJournal);
    }
    const oursMs = performance.now() - t0;
    console.log(`internal create+delete of ${N} snapshots: xensnap ${oursMs.toFixed(0)} ms, plain qemu-img loop ${plainMs.toFixed(0)} ms, ratio ${(oursMs / plainMs).toFixed(2)}`);

    // External: create then delete (the leaf is empty, so the delete merges by a trivial commit).
    const ext = await newImage(dir, 'ext.qcow2');
    const extDomain = domainOf(ext);
    const creates: number[] = [];
    const deletes: number[] = [];
    for (let i = 0; i < EXTERNAL_RUNS; i++) {
      let t = performance.now();
      const recs = await createOffline({ domain: extDomain, disks: extDomain.disks, snapshot: `e${i}`, type: 'external' }, noJournal);
      creates.push(performance.now() - t);
      await run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x${(i + 16).toString(16)} ${(i % 16) << 20} 64k`, ext]);
      t = performance.now();
      await deleteOffline({ domain: extDomain, snapshot: `e${i}`, type: 'external', disks: recs }, noJournal);
      deletes.push(performance.now() - t);
    }
    const f = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms`;
    console.log(`external create (1 disk, ${EXTERNAL_RUNS} runs): ${f(creates)}`);
    console.log(`external delete after a 64 KiB write (1 disk, ${EXTERNAL_RUNS} runs): ${f(deletes)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
