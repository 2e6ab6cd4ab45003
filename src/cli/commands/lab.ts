import type { Command } from '../command.js';
import { createLab, destroyLab } from '../../lab/create-lab.js';
import { UserInputError } from '../../errors.js';

const help = `usage: xensnap lab create DIR | xensnap lab destroy DIR

Builds (or tears down) a demo lab in DIR: real qcow2 and VHD images, a running QEMU with a
QMP socket, xl.cfg files, policies, and two host configs (config-qemu.yaml, config-xen.yaml).
create needs DIR new or empty and leaves a marker (DIR/.xensnap-lab) listing what it made;
destroy refuses a directory without one, stops the lab's QEMU and removes only what the lab
made (DIR itself too when the lab made it and nothing else is in it).
The xen config needs an \`xl\` on PATH; the lab has no running Xen domain (xl-world.json is the
world of the test stand-in in test/stubs/xl).
`;

export const labCommand: Command = {
  name: 'lab',
  summary: 'build or remove a demo lab',
  help,
  async run(ctx) {
    const [verb, dir, ...rest] = ctx.args;
    if (!dir || rest.length || (verb !== 'create' && verb !== 'destroy')) throw new UserInputError('usage: xensnap lab create|destroy DIR');
    if (verb === 'destroy') {
      const left = await destroyLab(dir);
      if (left === null) ctx.stdout.write(`no lab at ${dir}; nothing to remove\n`);
      else ctx.stdout.write(left.length ? `lab removed; ${dir} kept: it holds ${left.join(', ')}, which the lab did not make\n` : `lab ${dir} removed\n`);
      return 0;
    }
    const lab = await createLab(dir);
    ctx.stdout.write(`lab ready in ${lab.dir}\n  qemu host config: ${lab.qemuConfig}\n  xen host config:  ${lab.xenConfig}\n  QEMU pid ${lab.qemuPid}\n`);
    return 0;
  },
};
