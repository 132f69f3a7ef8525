import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLink, parseDesiredFile } from '../src/index.js';

const ID = '0f5b6a3e-8c1d-4e2f-9a7b-1c2d3e4f5a6b';

describe('parseDesiredFile', () => {
  it('reads the REST API fields with their defaults', () => {
    expect(parseDesiredFile(`datasets:\n  - dataset_id: ${ID}\n    primary: node-a\n`, 'd.yml')).toEqual({
      datasets: [{ datasetId: ID, primary: 'node-a', maximumSize: null, metadata: {}, deleted: false }],
    });
    expect(parseDesiredFile('', 'd.yml')).toEqual({ datasets: [] });
  });

  it.each([
    [
      `datasets:\n  - dataset_id: ${ID}\n    colour: blue\n`,
      `datasets[0].colour: unknown key (dataset_id "${ID}")`,
    ],
    [
      'datasets:\n  - dataset_id: 0F5B\n',
      'datasets[0].dataset_id: must be a lowercase UUID (dataset_id "0F5B")',
    ],
    [
      `datasets:\n  - dataset_id: ${ID}\n    maximum_size: ten\n`,
      'datasets[0].maximum_size: Invalid input: expected number, received string',
    ],
    [
      `datasets:\n  - dataset_id: ${ID}\n  - dataset_id: ${ID}\n`,
      `datasets[1].dataset_id: appears twice (dataset_id "${ID}")`,
    ],
    ['datasets:\n  - primary: node-a\n', 'datasets[0].dataset_id: required key is missing'],
    ['cluster_id: x\n', 'cluster_id: must be a lowercase UUID'],
    ['datasets: [\n', '(yaml)'],
  ])('%j is refused with INVALID_DESIRED_STATE naming %s', (text, problem) => {
    let error: unknown;
    try {
      parseDesiredFile(text, 'd.yml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'INVALID_DESIRED_STATE' });
    expect((error as Error).message).toContain(problem);
  });
});

describe('FileLink', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-link-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('wakes when an editor replaces the file, and re-reads it', async () => {
    const path = join(dir, 'd.yml');
    await writeFile(path, 'datasets: []\n');
    const link = new FileLink(path, { nodeId: 'node-a' });
    try {
      expect((await link.configuration()).datasets).toEqual([]);
      const woken = link.changed(new AbortController().signal);
      await writeFile(join(dir, 'd.yml.swp'), `datasets:\n  - dataset_id: ${ID}\n`);
      await rename(join(dir, 'd.yml.swp'), path);
      await woken;
      expect((await link.configuration()).datasets.map((d) => d.datasetId)).toEqual([ID]);
    } finally {
      await link.close();
    }
  });

  it('refuses a file that changes the cluster id it started with', async () => {
    const path = join(dir, 'd.yml');
    await writeFile(path, `cluster_id: ${ID}\n`);
    const link = new FileLink(path, { nodeId: 'node-a' });
    try {
      await expect(link.configuration()).rejects.toMatchObject({ code: 'INVALID_DESIRED_STATE' });
    } finally {
      await link.close();
    }
  });

  it('changed() resolves when its signal aborts', async () => {
    const path = join(dir, 'd.yml');
    await writeFile(path, '');
    const link = new FileLink(path, { nodeId: 'node-a' });
    await link.configuration();
    const stop = new AbortController();
    const waiting = link.changed(stop.signal);
    stop.abort();
    await waiting;
    await link.close();
  });
});
