import type { MutantName } from './mutants.js';

// Each mutant carries one bug; the suite must name it through the tests that own that part of the contract.
export const EXPECTED: Record<Exclude<MutantName, 'none'>, string[]> = {
  'silent-unknown': [
    'destroyVolume(unknown id) rejects with UNKNOWN_VOLUME',
    'destroyVolume(destroyed volume) rejects with UNKNOWN_VOLUME',
    'detachVolume(unknown id) rejects with UNKNOWN_VOLUME',
  ],
  'stale-device': [
    'detachVolume() lists the volume as unattached and removes its device, leaving others attached',
  ],
  'shared-device': ['getDevicePath() gives each attached volume a device of its own'],
  'hides-attached': [
    'listVolumes() lists an attached volume as attached to this node',
    'listVolumes() lists attached and unattached volumes together',
    'attachVolume() after detachVolume() attaches the volume again',
  ],
  'rounds-sizes': [
    'createVolume(size that is not a positive multiple of the allocation unit) rejects with INVALID_SIZE',
  ],
  'leaks-volumes': [
    'listVolumes() lists the volume createVolume() returned',
    'parallel createVolume() calls give distinct volumes, all listed',
  ],
  'foreign-device': ['getDevicePath(volume attached to another node) rejects with UNATTACHED'],
  'steals-attached': [
    'attachVolume(volume attached to another node) rejects with ALREADY_ATTACHED and leaves it there',
  ],
  'detaches-here-only': [
    'detachVolume() detaches a volume from whichever node holds it, another node included',
  ],
  'hides-foreign': ['listVolumes() lists a volume attached to another node as attached there'],
  'one-page': ['listVolumes() is complete when the volumes fill more than one page of the backend'],
  'destroys-attached': [
    'destroyVolume(attached volume) is refused with ALREADY_ATTACHED and keeps it, or destroys it, as declared',
  ],
  'destroys-attached-keeps-device': [
    'destroyVolume(attached volume) is refused with ALREADY_ATTACHED and keeps it, or destroys it, as declared',
  ],
  'claims-idempotent': [
    'createVolume() for a dataset that has a volume returns it or refuses with DATASET_EXISTS, as declared, never a second',
  ],
  'second-volume': [
    'createVolume() for a dataset that has a volume returns it or refuses with DATASET_EXISTS, as declared, never a second',
  ],
  'drops-profiles': ['createVolumeWithProfile() reaches the backend: it holds each volume under its profile'],
  'drifting-unit': [
    'allocationUnit() stays the same while the API creates, attaches, detaches and destroys volumes',
  ],
  'resize-loses-data': ['resizeVolume() grows an unattached volume to the new size, keeping its data'],
  'resize-attached': [
    'resizeVolume() refuses an attached volume, a size not larger or off the unit, and an unknown id, changing nothing',
  ],
  'lists-stopped': [
    'listLiveNodes() leaves out a stopped node',
    'startNode() starts a stopped node: listLiveNodes() includes it again',
  ],
  'start-does-nothing': ['startNode() starts a stopped node: listLiveNodes() includes it again'],
};

/**
 * The driver as it is runs every case; each mutant only the cases that own its bug, which is all the proof
 * needs and keeps the run short.
 */
export const ONLY_OWNERS = [
  'loopback mutant none: ',
  ...Object.entries(EXPECTED).map(
    ([mutant, titles]) => `loopback mutant ${mutant}: .*(${titles.map(escapeRegExp).join('|')})$`,
  ),
].join('|');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
