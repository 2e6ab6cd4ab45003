import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Disk, Domain } from '../../../src/model/domain.js';
import { humanMonitor } from '../../../src/qmp/human-monitor.js';
import type { QmpClient } from '../../../src/qmp/qmp-client.js';
import { readBlockGraph } from '../../../src/backends/qdisk/node-graph.js';
import { run } from '../../../src/util/exec.js';

/** A temp dir removed after the test. */
export async function tempDir(t: { after: (fn: () => unknown) => void }, tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `xensnap-${tag}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Creates `n` empty qcow2 images `xvd<a..>.qcow2` in `dir` and the Disk objects naming them. */
export async function makeDisks(dir: string, n: number, sizeMiB: number): Promise<Disk[]> {
  const disks: Disk[] = [];
  for (let i = 0; i < n; i++) {
    const vdev = `xvd${String.fromCharCode(97 + i)}`;
    const path = join(dir, `${vdev}.qcow2`);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${sizeMiB}M`]);
    disks.push({ vdev, path, format: 'qcow2', backend: 'qdisk', readonly: false, cdrom: false });
  }
  return disks;
}

export function runningDomain(disks: Disk[], qmp: string, state: Domain['state'] = 'running'): Domain {
  return { key: 'name-t', uuid: null, name: 't', state, disks, qmp };
}

/** The guest's view of one disk, kept in memory: every guest write is applied here too. */
export class DiskModel {
  readonly data: Buffer;
  constructor(size: number) {
    this.data = Buffer.alloc(size);
  }
  write(pattern: number, offset: number, length: number): void {
    this.data.fill(pattern, offset, offset + length);
  }
  snapshot(): Buffer {
    return Buffer.from(this.data);
  }
}

/** A guest write through the device (the path the guest's writes take), mirrored into `model`. */
export async function guestWrite(c: QmpClient, dev: number, model: DiskModel, pattern: number, offset: number, length: number): Promise<void> {
  await humanMonitor(c, `qemu-io -d /machine/peripheral/vd${dev}/virtio-backend "write -P ${pattern} ${offset} ${length}"`);
  model.write(pattern, offset, length);
}

/** Flushes the device so that `qemu-img -U` readers see the qcow2 metadata of recent writes. */
export async function guestFlush(c: QmpClient, dev: number): Promise<void> {
  await humanMonitor(c, `qemu-io -d /machine/peripheral/vd${dev}/virtio-backend "flush"`);
}

/**
 * Throws unless the image (or its internal snapshot `tag`) reads exactly as `expected`,
 * checked by qemu-img compare against a raw reference file.
 */
export async function assertContent(dir: string, image: string, expected: Buffer, tag?: string): Promise<void> {
  const ref = join(dir, `ref-${Math.random().toString(36).slice(2)}.raw`);
  await writeFile(ref, expected);
  try {
    if (tag) {
      const out = join(dir, `tag-${Math.random().toString(36).slice(2)}.raw`);
      await run('qemu-img', ['convert', '-U', '-O', 'raw', '-l', `snapshot.name=${tag}`, image, out]);
      try {
        await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', out, ref]);
      } finally {
        await rm(out, { force: true });
      }
    } else {
      await run('qemu-img', ['compare', '-U', '-F', 'raw', image, ref]);
    }
  } finally {
    await rm(ref, { force: true });
  }
}

/** Sorted names of the files in `dir`, QMP sockets left out. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => !f.endsWith('.sock')).sort();
}

/** Sorted node names of the live graph. */
export async function nodeNames(c: QmpClient): Promise<string[]> {
  return [...(await readBlockGraph(c)).nodes.keys()].sort();
}

/** `qemu-img check` of an image (QEMU must be stopped); throws on any error it reports. */
export async function check(image: string): Promise<void> {
  await run('qemu-img', ['check', image]);
}
