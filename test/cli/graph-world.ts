// A small qemu-driver host for the snapshot-graph scenarios: one domain "vm" with real qcow2
// disks, shut off (its QMP socket answers nothing) unless a test starts a QEMU on it.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/util/exec.js';
import { cli, type CliRun } from './one-off-helpers.js';

export const VM_UUID = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';

/** One world: paths, and the CLI bound to its config. */
export interface GraphWorld {
  dir: string;
  images: string;
  state: string;
  qmp: string;
  config: string;
  leaf(vdev: string): string;
  /** `<images>/vm-<vdev>@<snapshot>.qcow2` */
  frozen(vdev: string, snapshot: string): string;
  /** Replaces every policy with these YAML documents (one file). */
  policies(yaml: string): Promise<void>;
  xensnap(...args: string[]): Promise<CliRun>;
  /** A guest write of `pattern` through the leaf's chain (the domain is shut off). */
  write(vdev: string, pattern: number, offset: number, length: number): Promise<void>;
  /** Points the inventory's QMP socket at `path` (a test QEMU serving the disks). */
  useQmp(path: string): Promise<void>;
}

/** A policy document (disk-only) for `vm`. */
export function policyYaml(name: string, o: { type: 'internal' | 'external'; schedule: string; retention: string }): string {
  return `apiVersion: xensnap.dev/v1
kind: SnapshotPolicy
metadata:
  name: ${name}
spec:
  selector:
    names: ["vm"]
  schedule: "${o.schedule}"
  type: ${o.type}
  retention:
    ${o.retention}
`;
}

/**
 * Builds the world in a temp folder removed after the test; `disks`: vdevs of 64 MiB qcow2 leaves;
 * `tmpfsMiB`: the images live on a tmpfs of that size (a filesystem that can fill up).
 */
export async function graphWorld(t: { after(fn: () => Promise<void>): void }, disks: string[] = ['xvda', 'xvdb'], opts: { tmpfsMiB?: number } = {}): Promise<GraphWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'xensnap-graph-'));
  const images = join(dir, 'images');
  const state = join(dir, 'state');
  await mkdir(images);
  if (opts.tmpfsMiB) await run('mount', ['-t', 'tmpfs', '-o', `size=${opts.tmpfsMiB}m`, 'tmpfs', images]);
  t.after(async () => {
    if (opts.tmpfsMiB) await run('umount', [images]);
    await rm(dir, { recursive: true, force: true });
  });
  await mkdir(join(dir, 'policies'));
  await mkdir(join(dir, 'run'));
  await mkdir(state, { mode: 0o700 });
  await chmod(state, 0o700);
  const leaf = (vdev: string) => join(images, `vm-${vdev}.qcow2`);
  for (const v of disks) await run('qemu-img', ['create', '-q', '-f', 'qcow2', leaf(v), '64M']);
  const qmp = join(dir, 'run', 'vm.qmp');
  const inventory = (socket: string) => writeFile(join(dir, 'inventory.yaml'), `domains:
  - name: vm
    uuid: ${VM_UUID}
    qmp: ${socket}
    disks:
${disks.map((v) => `      - { vdev: ${v}, path: ${leaf(v)}, format: qcow2, node: ${v} }`).join('\n')}
`);
  await inventory(qmp);
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stateDir: ${state}\npolicyDir: ${join(dir, 'policies')}\nlimits: { maxDeletes: 50, concurrency: 2 }\nhypervisor: qemu\nqemu: { inventory: ${join(dir, 'inventory.yaml')} }\n`);
  return {
    dir,
    images,
    state,
    qmp,
    config,
    leaf,
    frozen: (vdev, snapshot) => join(images, `vm-${vdev}@${snapshot}.qcow2`),
    policies: (yaml) => writeFile(join(dir, 'policies', 'p.yaml'), yaml),
    xensnap: (...args) => cli(config, ...args),
    useQmp: (path) => inventory(path),
    write: async (vdev, pattern, offset, length) => {
      await run('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} ${offset} ${length}`, leaf(vdev)]);
    },
  };
}
