import type { Diagnostic } from '../../model/diagnostic.js';
import { mapping, type ConfigDocContext } from './config-context.js';

/** hypervisor: qemu finds its domains in qemu.inventory, so that must be set. */
export function checkHypervisor(ctx: ConfigDocContext): Diagnostic[] {
  if (ctx.value.hypervisor !== 'qemu' || mapping(ctx.value, 'qemu').inventory !== undefined) return [];
  return [ctx.doc.diagnostic(['hypervisor'], 'value', 'hypervisor qemu needs qemu.inventory (the file listing the QEMU domains)')];
}
