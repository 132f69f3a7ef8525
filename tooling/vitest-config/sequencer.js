import { relative } from 'node:path';
import { BaseSequencer } from 'vitest/node';

/** A driver's conformance suite: fifty-odd cases that wait on the backend, the longest file of its package. */
const CONFORMANCE_SUITE = /\/conformance[^/]*\.test\.ts$/;

/**
 * Runs test files longest first, as vitest's cache timed them in the last run here, so that the long ones do not
 * start last and leave the other workers idle at the end. Files that failed last time come first, as vitest does;
 * files never timed here (a fresh clone) come before the timed ones, the drivers' conformance suites first.
 */
export class LongestFirst extends BaseSequencer {
  /** @param {import('vitest/node').TestSpecification[]} files */
  async sort(files) {
    const { cache, config } = this.ctx;
    const last = (file) =>
      cache.getFileTestResults(`${file.project.name}:${relative(config.root, file.moduleId)}`);
    const rank = (file) => {
      const result = last(file);
      if (result?.failed) return [0, 0];
      if (result === undefined) return [1, CONFORMANCE_SUITE.test(file.moduleId) ? 0 : 1];
      return [2, -result.duration];
    };
    const ranked = files.map((file) => ({ file, rank: rank(file) }));
    ranked.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1]);
    return ranked.map(({ file }) => file);
  }
}
