import { describe, expect, it } from 'vitest';
import { DATASET_STATES } from '../src/index.js';

describe('DATASET_STATES', () => {
  it("holds the original's nine states and the two the agent leaves alone", () => {
    expect([...DATASET_STATES].sort()).toEqual(
      [
        'NON_EXISTENT',
        'UNREGISTERED',
        'REGISTERED',
        'NON_MANIFEST',
        'ATTACHED_NO_FILESYSTEM',
        'ATTACHED',
        'MOUNTED',
        'ATTACHED_ELSEWHERE',
        'ATTACHED_TO_DEAD_NODE',
        'ATTACHED_UNKNOWN_DATA',
        'MOUNTED_OTHER_PATH',
      ].sort(),
    );
  });
});
