/** One disk of a lab or test QEMU: a named file node under a named format node. */
export interface QemuDiskSpec {
  path: string;
  format: 'qcow2' | 'raw';
  /** Format node name (the one QMP commands address). */
  node: string;
}

/**
 * argv for a QEMU with no guest OS: TCG, no default devices, stopped CPUs (`-S`), each disk as
 * separately named -blockdev file + format nodes behind virtio-blk (share-rw so HMP qemu-io can
 * play the guest), and a QMP unix socket. A real running domain for every qdisk test.
 */
export function qemuArgv(opts: { qmp: string; disks: QemuDiskSpec[]; memMb?: number; name?: string; extra?: string[] }): string[] {
  const argv = ['-machine', 'q35,accel=tcg', '-nodefaults', '-display', 'none', '-S', '-m', String(opts.memMb ?? 64)];
  if (opts.name) argv.push('-name', opts.name);
  opts.disks.forEach((d, i) => {
    argv.push('-blockdev', JSON.stringify({ driver: 'file', filename: d.path, 'node-name': `${d.node}-file` }));
    argv.push('-blockdev', JSON.stringify({ driver: d.format, file: `${d.node}-file`, 'node-name': d.node }));
    argv.push('-device', `virtio-blk-pci,drive=${d.node},id=vd${i},share-rw=on`);
  });
  argv.push('-qmp', `unix:${opts.qmp},server=on,wait=off`);
  return [...argv, ...(opts.extra ?? [])];
}
