// Native VHD (Microsoft VHD 1.0) support: the public surface other modules import.
export { vhdDate, vhdTimestamp, chsGeometry } from './vhd-footer.js';
export { readVhdInfo, readVhdLayout, type VhdInfo, type VhdParentLocator, type VhdLayout } from './vhd-info.js';
export { resolveVhdParent, vhdParentCandidates } from './vhd-parent.js';
export { readVhdChain, type VhdChainMember } from './vhd-chain.js';
export { createDynamicVhd, createDifferencingVhd, type CreateVhdOptions } from './vhd-create.js';
export { VhdImage } from './vhd-image.js';
export { writeVhdSectors, readVhdSectors } from './vhd-sectors.js';
export { coalesceVhd, streamVhdIntoChild, streamVhdSectors, type MergeProgress } from './vhd-coalesce.js';
export { relinkVhd, setVhdHidden } from './vhd-relink.js';
export { checkVhd } from './vhd-check.js';
