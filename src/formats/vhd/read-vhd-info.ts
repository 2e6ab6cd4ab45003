// The VHD reader observation uses: metadata of one image and the path of its parent.
export { readVhdInfo, type VhdInfo, type VhdParentLocator } from './vhd-info.js';
export { resolveVhdParent } from './vhd-parent.js';
