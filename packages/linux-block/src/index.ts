export { BLKID_NOTHING_FOUND, blkidArgs, parseBlkid, probeSignature, type Signature } from './blkid.js';
export { deviceMajorMinor, deviceNumbers } from './device-numbers.js';
export { checkedPath, isBlockDevice } from './device-path.js';
export { type DeviceSizeFs, type DeviceSizeOptions, deviceSize } from './device-size.js';
export { ext4Size, growExt4, makeExt4, parseDumpe2fsSize } from './filesystem.js';
export {
  attachLoopDevice,
  DETACH_SETTLE_MS,
  detachLoopDevice,
  detachLoopDevicesOf,
  deviceHolders,
  fileId,
  LIST_ARGS,
  type LoopDevice,
  listLoopDevices,
  parseLoopDevices,
} from './loop-devices.js';
export { mount, unmount } from './mount.js';
export { type MountInfoEntry, parseMountInfo, readMountInfo } from './mountinfo.js';
export { processGroupAlive } from './process-group.js';
export { releaseUnder } from './release.js';
