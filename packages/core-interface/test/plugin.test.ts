import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type BackendContext,
  type BackendDescription,
  createBlockDeviceAPI,
  createLogger,
  type IBlockDeviceAPI,
  importBackend,
  isProfiled,
  type LogEntry,
  loadAgentBackend,
  loadBackend,
  openBackend,
  parseBackendConfig,
  UnknownInstanceIdError,
  waitFor,
} from '../src/index.js';
import { PrivateStateDriver } from './private-state-driver.js';

const DATASET = '0b4d1f3c-6a52-4b0e-9d3f-2f8e7a1c5b6d';
const CLUSTER = '7c1e9a20-3f4b-4d8e-a6c2-5b9d0e1f2a3b';

/**
 * JavaScript source of a complete backend description bound to `description`. Its API reports what the factory
 * received through `received()`, a member the instrumentation passes through unlogged.
 */
function descriptionSource(
  name: string,
  schema = '{ safeParse: (value) => ({ success: true, data: value }) }',
) {
  return `
const description = {
  name: ${JSON.stringify(name)},
  needsClusterId: false,
  deployerType: 'block',
  configSchema: ${schema},
  apiFactory: (config, context) => ({
    capabilities: { profiles: false, cloudApi: false, startNode: false, resize: false },
    allocationUnit: async () => 1024,
    computeInstanceId: async () => 'node-a',
    createVolume: async () => { throw new Error('not used'); },
    destroyVolume: async () => {},
    attachVolume: async () => { throw new Error('not used'); },
    detachVolume: async () => {},
    listVolumes: async () => [],
    getDevicePath: async () => '/dev/null',
    received: () => ({ config, configDir: context.configDir }),
  }),
};
`;
}

interface Received {
  readonly config: unknown;
  readonly configDir: string;
}

/** What a fixture backend's factory received, through its API. */
async function received(
  backend: BackendDescription,
  dataset: Record<string, unknown> = {},
): Promise<Received> {
  const api = await createBlockDeviceAPI(
    backend,
    { backend: backend.name, ...dataset },
    { configDir: '/config' },
  );
  return (api as unknown as { received(): Received }).received();
}

let dir: string;

async function write(relative: string, text: string): Promise<string> {
  const path = join(dir, relative);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'flockerjs-plugin-')));
  // A third-party backend package, with zod reached through its own node_modules as an installed package would.
  const zod = await realpath(fileURLToPath(new URL('../node_modules/zod', import.meta.url)));
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await symlink(zod, join(dir, 'node_modules/zod'), 'dir');
  await write(
    'node_modules/fake-backend/package.json',
    JSON.stringify({ name: 'fake-backend', type: 'module', exports: { '.': './index.js' } }),
  );
  await write(
    'node_modules/fake-backend/index.js',
    `import { z } from 'zod';\n${descriptionSource('fake', 'z.strictObject({ root_path: z.string(), size: z.number().optional() })')}export const FLOCKER_BACKEND = description;\n`,
  );
  await write(
    'my-backend.mjs',
    `${descriptionSource('relative')}export const FLOCKER_BACKEND = description;\n`,
  );
  await write(
    'lib/absolute.mjs',
    `${descriptionSource('absolute')}export const FLOCKER_BACKEND = description;\n`,
  );
  await write('default-export.mjs', `${descriptionSource('default')}export default description;\n`);
  await write(
    'common.cjs',
    `${descriptionSource('commonjs')}module.exports = { FLOCKER_BACKEND: description };\n`,
  );
  await write(
    'common-default.cjs',
    `${descriptionSource('commonjs-default')}module.exports = description;\n`,
  );
  await write('no-export.mjs', 'export const somethingElse = 1;\nexport const FLOCKER_BACKND = {};\n');
  // A plugin package installed without its build output, as `npm install ../acme-flocker` of a fresh clone is.
  await write(
    'node_modules/acme-flocker-unbuilt/package.json',
    JSON.stringify({ name: 'acme-flocker-unbuilt', type: 'module', exports: { '.': './dist/index.js' } }),
  );
  await write(
    'wrong-shape.mjs',
    "export const FLOCKER_BACKEND = { name: 'wrong', needsClusterId: 'yes', deployerType: 'p2p', configSchema: {} };\n",
  );
  await write('throws.mjs', "throw new Error('backend exploded at import');\n");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadBackend', () => {
  it('loads a package installed in node_modules of the config directory', async () => {
    const backend = await loadBackend('fake-backend', { configDir: dir });
    expect(backend).toMatchObject({ name: 'fake', needsClusterId: false, deployerType: 'block' });
    expect(await received(backend, { root_path: '/x' })).toMatchObject({ config: { root_path: '/x' } });
  });

  it('falls back to the working directory for a package name', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'flockerjs-empty-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      await expect(loadBackend('fake-backend', { configDir: empty })).resolves.toMatchObject({
        name: 'fake',
      });
    } finally {
      process.chdir(cwd);
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('loads a module path relative to the config directory', async () => {
    await expect(loadBackend('./my-backend.mjs', { configDir: dir })).resolves.toMatchObject({
      name: 'relative',
    });
    await expect(
      loadBackend('../absolute.mjs', { configDir: join(dir, 'lib', 'sub') }),
    ).resolves.toMatchObject({
      name: 'absolute',
    });
  });

  it('loads an absolute module path', async () => {
    const path = join(dir, 'lib/absolute.mjs');
    await expect(loadBackend(path, { configDir: tmpdir() })).resolves.toMatchObject({ name: 'absolute' });
  });

  it('accepts the description as the default export', async () => {
    await expect(loadBackend('./default-export.mjs', { configDir: dir })).resolves.toMatchObject({
      name: 'default',
    });
  });

  it('accepts a CommonJS module exporting FLOCKER_BACKEND', async () => {
    const backend = await loadBackend('./common.cjs', { configDir: dir });
    expect(backend.name).toBe('commonjs');
    expect(await received(backend)).toEqual({ config: {}, configDir: '/config' });
  });

  it('accepts a CommonJS module whose module.exports is the description', async () => {
    await expect(loadBackend('./common-default.cjs', { configDir: dir })).resolves.toMatchObject({
      name: 'commonjs-default',
    });
  });

  it('loadBackend(unknown name) rejects with PLUGIN_LOAD naming the specifier, the built-in names and the places searched', async () => {
    const load = loadBackend('flockerjs-no-such-backend', { configDir: dir });
    await expect(load).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      specifier: 'flockerjs-no-such-backend',
      message: expect.stringMatching(
        /^backend "flockerjs-no-such-backend": is neither a built-in backend \(loopback, aws, openstack\) nor an installed package; searched node_modules from /,
      ),
    });
    const message = await load.catch((error: Error) => error.message);
    expect(message).toContain(`${dir}/`);
    expect(message).toContain(`${process.cwd()}/`);
    expect(message).not.toContain('did you mean');
    await expect(load).rejects.toHaveProperty(
      'cause',
      expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }),
    );
  });

  it.each([
    ['aws', '@flockerjs/driver-ebs'],
    ['openstack', '@flockerjs/driver-cinder'],
  ])('built-in %s without its package rejects with PLUGIN_LOAD saying to install %s', async (name, pkg) => {
    await expect(loadBackend(name, { configDir: dir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      specifier: name,
      message: expect.stringMatching(
        new RegExp(
          `^backend "${name}": is built in, but its package ${pkg} is not installed \\(npm install ${pkg}\\); searched node_modules from `,
        ),
      ),
    });
  });

  it.each([
    ['a relative module path', './missing.mjs'],
    ['an absolute module path', '/flockerjs-no-such-dir/missing.mjs'],
  ])(
    '%s to a file that does not exist rejects with PLUGIN_LOAD, not an import failure',
    async (_title, name) => {
      const load = loadBackend(name, { configDir: dir });
      await expect(load).rejects.toMatchObject({
        code: 'PLUGIN_LOAD',
        specifier: name,
        message: expect.stringMatching(
          new RegExp(`^backend "${name}": the module file .*missing\\.mjs does not exist$`),
        ),
      });
      await expect(load).rejects.toHaveProperty(
        'cause',
        expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }),
      );
    },
  );

  it('resolves a relative module path only against the config directory, never the working directory', async () => {
    const cwdDir = await realpath(await mkdtemp(join(tmpdir(), 'flockerjs-cwd-')));
    const configDir = await realpath(await mkdtemp(join(tmpdir(), 'flockerjs-config-dir-')));
    await writeFile(
      join(cwdDir, 'x.mjs'),
      `${descriptionSource('from-cwd')}export const FLOCKER_BACKEND = description;\n`,
    );
    const cwd = process.cwd();
    try {
      process.chdir(cwdDir);
      const load = loadBackend('./x.mjs', { configDir });
      await expect(load).rejects.toMatchObject({
        code: 'PLUGIN_LOAD',
        specifier: './x.mjs',
        message: `backend "./x.mjs": the module file ${configDir}/x.mjs does not exist`,
      });
    } finally {
      process.chdir(cwd);
      await rm(cwdDir, { recursive: true, force: true });
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it('a module without FLOCKER_BACKEND rejects with PLUGIN_LOAD listing what it does export', async () => {
    await expect(loadBackend('./no-export.mjs', { configDir: dir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      message: `backend "./no-export.mjs": ${pathToFileURL(join(dir, 'no-export.mjs')).href} does not export FLOCKER_BACKEND (nor a default export of it); it exports somethingElse, FLOCKER_BACKND; did you mean FLOCKER_BACKND?`,
    });
  });

  it('an installed package without its entry file rejects with PLUGIN_LOAD naming the file and saying to build it', async () => {
    await expect(loadBackend('acme-flocker-unbuilt', { configDir: dir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      message: `backend "acme-flocker-unbuilt": package acme-flocker-unbuilt is installed, but its entry file ${dir}/node_modules/acme-flocker-unbuilt/dist/index.js is missing: build the package (npm run build) before using it, or check the "exports" of its package.json`,
    });
  });

  it.each([
    ['a built-in name', 'lopback', 'loopback'],
    ['an installed flocker package', 'acme-flocker-unbuil', 'acme-flocker-unbuilt'],
    ['a transposition', 'acme-flcoker-unbuilt', 'acme-flocker-unbuilt'],
  ])('a typo of %s suggests it', async (_title, typo, meant) => {
    await expect(loadBackend(typo, { configDir: dir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      message: expect.stringContaining(`nor an installed package; did you mean ${meant}?; searched`),
    });
  });

  it('a typo of the package the agent.yml lies in (a driver certifying itself) suggests it', async () => {
    const own = await mkdtemp(join(dir, 'own-'));
    await writeFile(join(own, 'package.json'), JSON.stringify({ name: '@acme/flocker-san' }));
    await expect(loadBackend('@acme/flocker-sna', { configDir: own })).rejects.toMatchObject({
      message: expect.stringContaining('did you mean @acme/flocker-san?'),
    });
  });

  it('a description of the wrong shape rejects with PLUGIN_LOAD naming each bad field', async () => {
    const load = loadBackend('./wrong-shape.mjs', { configDir: dir });
    await expect(load).rejects.toMatchObject({ code: 'PLUGIN_LOAD' });
    const message = await load.catch((error: Error) => error.message);
    expect(message).toContain('FLOCKER_BACKEND does not have the expected shape');
    expect(message).toMatch(/FLOCKER_BACKEND\.needsClusterId: .*boolean/);
    expect(message).toMatch(/FLOCKER_BACKEND\.deployerType: .*"block"/);
    expect(message).toContain('FLOCKER_BACKEND.configSchema: expected a zod schema');
    expect(message).toContain('FLOCKER_BACKEND.apiFactory: expected a function');
    expect(message).not.toContain('FLOCKER_BACKEND.name');
  });

  it('a module that throws at import rejects with PLUGIN_LOAD carrying the error as cause', async () => {
    const load = loadBackend('./throws.mjs', { configDir: dir });
    await expect(load).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      message: expect.stringMatching(/importing file:.*throws\.mjs failed: backend exploded at import$/),
    });
    await expect(load).rejects.toHaveProperty('cause.message', 'backend exploded at import');
  });
});

describe('parseBackendConfig', () => {
  const configSchema = z.strictObject({
    root_path: z.string(),
    size: z.number().optional(),
    pool: z.object({ name: z.object({ value: z.string() }) }).optional(),
  });
  const backend = {
    name: 'typed',
    needsClusterId: false,
    deployerType: 'block',
    configSchema,
    apiFactory: () => {
      throw new Error('not used');
    },
  } satisfies BackendDescription<z.infer<typeof configSchema>>;

  it('returns the backend keys, validated, without backend', () => {
    expect(parseBackendConfig(backend, { backend: 'typed', root_path: '/x', size: 1 })).toEqual({
      root_path: '/x',
      size: 1,
    });
  });

  it('a missing required key is INVALID_CONFIG with dataset.<key>: required key is missing', () => {
    expect(() => parseBackendConfig(backend, { backend: 'typed' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        problems: ['dataset.root_path: required key is missing'],
        message: expect.stringContaining('dataset.root_path: required key is missing'),
      }),
    );
  });

  it('a key of the wrong type is INVALID_CONFIG naming dataset.<key>', () => {
    expect(() => parseBackendConfig(backend, { backend: 'typed', root_path: '/x', size: 'big' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        problems: [expect.stringMatching(/^dataset\.size: .*number/)],
      }),
    );
  });

  it('a nested key is named by its whole path, dataset.a.b', () => {
    const dataset = { backend: 'typed', root_path: '/x', pool: { name: { value: 7 } } };
    expect(() => parseBackendConfig(backend, dataset)).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^dataset\.pool\.name\.value: .*string/)] }),
    );
  });

  it('an unknown key of a strict schema is dataset.<key>: unknown key', () => {
    expect(() => parseBackendConfig(backend, { backend: 'typed', root_path: '/x', bogus: 1 })).toThrow(
      expect.objectContaining({ problems: ['dataset.bogus: unknown key'] }),
    );
  });

  it('a misspelled key is unknown, naming the key meant, which is also reported missing', () => {
    expect(() => parseBackendConfig(backend, { backend: 'typed', rootpath: '/x', szie: 1 })).toThrow(
      expect.objectContaining({
        problems: [
          'dataset.root_path: required key is missing',
          'dataset.rootpath: unknown key; did you mean root_path?',
          'dataset.szie: unknown key; did you mean size?',
        ],
      }),
    );
  });
});

function privateBackend(needsClusterId: boolean, contexts: BackendContext[] = []) {
  return {
    name: 'private',
    needsClusterId,
    deployerType: 'block',
    configSchema: z.object({ root_path: z.string() }),
    apiFactory: async (_config, context) => {
      contexts.push(context);
      return new PrivateStateDriver([], context);
    },
  } satisfies BackendDescription<{ root_path: string }>;
}

const dataset = { backend: 'private', root_path: '/x' };

describe('createBlockDeviceAPI', () => {
  it.each([
    ['without a cluster id', undefined],
    ['with a cluster id that is not a UUID', 'cluster-1'],
  ])(
    'a backend that needs the cluster id, %s, rejects with INVALID_CONFIG before making the API',
    async (_title, clusterId) => {
      const contexts: BackendContext[] = [];
      const create = createBlockDeviceAPI(privateBackend(true, contexts), dataset, {
        configDir: dir,
        ...(clusterId === undefined ? {} : { clusterId }),
      });
      await expect(create).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        problems: [
          expect.stringMatching(
            /^cluster id: backend private needs the cluster's id \(a UUID\), got .*The dataset agent takes it from its node certificate.*openBackend\(path, \{ clusterId \}\)/,
          ),
        ],
      });
      expect(contexts).toEqual([]);
    },
  );

  it('gives the factory the cluster id, the config directory, the logger and the metrics', async () => {
    const contexts: BackendContext[] = [];
    const logger = createLogger({ sink: () => {} });
    await createBlockDeviceAPI(privateBackend(true, contexts), dataset, {
      configDir: dir,
      clusterId: CLUSTER,
      logger,
    });
    expect(contexts).toEqual([{ clusterId: CLUSTER, configDir: dir, logger, metrics: expect.any(Object) }]);
  });

  it('withholds the cluster id from a backend that does not need it', async () => {
    const contexts: BackendContext[] = [];
    await createBlockDeviceAPI(privateBackend(false, contexts), dataset, {
      configDir: dir,
      clusterId: CLUSTER,
    });
    expect(contexts[0]?.clusterId).toBeUndefined();
  });

  it('rejects bad backend keys with INVALID_CONFIG before making the API', async () => {
    const contexts: BackendContext[] = [];
    await expect(
      createBlockDeviceAPI(privateBackend(false, contexts), { backend: 'private' }, { configDir: dir }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      problems: ['dataset.root_path: required key is missing'],
    });
    expect(contexts).toEqual([]);
  });

  it('logs each call as a private:<method> action and calls the real object, optional methods included', async () => {
    const entries: LogEntry[] = [];
    const logger = createLogger({ sink: (entry) => entries.push(entry) });
    const api = await createBlockDeviceAPI(privateBackend(false), dataset, { configDir: dir, logger });
    expect(isProfiled(api)).toBe(true);
    if (!isProfiled(api)) return;
    const volume = await api.createVolumeWithProfile(DATASET, 2048, 'gold');
    expect(volume).toEqual({ blockDeviceId: 'vol-1', size: 2048, attachedTo: null, datasetId: DATASET });
    expect(await api.listVolumes()).toEqual([volume]);
    await expect(api.getDevicePath('vol-9')).rejects.toMatchObject({ code: 'UNKNOWN_VOLUME' });
    const actions = entries.filter((e) => e.action_status !== undefined);
    expect(actions.map((e) => `${e.action_type} ${e.action_status}`)).toEqual([
      'private:createVolumeWithProfile started',
      // createVolume is called on the real object, not the wrapper, so it is not logged.
      'private:createVolumeWithProfile succeeded',
      'private:listVolumes started',
      'private:listVolumes succeeded',
      'private:getDevicePath started',
      'private:getDevicePath failed',
    ]);
    expect(actions[0]?.args).toEqual([DATASET, 2048, 'gold']);
    expect(api.capabilities).toEqual({ profiles: true, cloudApi: false, startNode: false, resize: false });
    // The getter reads a #private field, so it must run against the real object too.
    expect((api as unknown as PrivateStateDriver).context?.configDir).toBe(dir);
  });

  it('a factory returning an API without some members rejects with PLUGIN_LOAD naming them', async () => {
    const backend = {
      ...privateBackend(false),
      apiFactory: () =>
        ({ allocationUnit: async () => 1, listVolumes: async () => [] }) as unknown as IBlockDeviceAPI,
    } satisfies BackendDescription<{ root_path: string }>;
    await expect(createBlockDeviceAPI(backend, dataset, { configDir: dir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      specifier: 'private',
      message:
        'backend "private": apiFactory returned an API without computeInstanceId, createVolume, destroyVolume, ' +
        'attachVolume, detachVolume, getDevicePath, capabilities',
    });
  });

  it('rejects an API whose capabilities miss a key or have an unknown one, naming both', async () => {
    const backend = {
      ...privateBackend(false),
      apiFactory: async (): Promise<IBlockDeviceAPI> => {
        const api = new PrivateStateDriver([]);
        const { resize: _resize, ...older } = api.capabilities;
        return Object.assign(Object.create(api) as IBlockDeviceAPI, {
          capabilities: { ...older, resizeVolume: false },
        });
      },
    } satisfies BackendDescription<{ root_path: string }>;
    await expect(createBlockDeviceAPI(backend, dataset, { configDir: dir })).rejects.toMatchObject({
      code: 'PLUGIN_LOAD',
      message:
        'backend "private": apiFactory returned an API whose capabilities are wrong: ' +
        'capabilities.resize: required key is missing; capabilities.resizeVolume: unknown key; did you mean resize?',
    });
  });

  it('passes on the error a factory throws', async () => {
    const failure = new UnknownInstanceIdError('no metadata service');
    const backend = {
      ...privateBackend(false),
      apiFactory: async (): Promise<IBlockDeviceAPI> => {
        throw failure;
      },
    } satisfies BackendDescription<{ root_path: string }>;
    await expect(createBlockDeviceAPI(backend, dataset, { configDir: dir })).rejects.toBe(failure);
  });
});

describe('loadAgentBackend', () => {
  it('resolves the backend once: the module URL it returns imports the same backend in another context', async () => {
    const path = await write(
      'plain/agent.yml',
      'version: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: fake-backend, root_path: /r}\n',
    );
    const loaded = await loadAgentBackend(path);
    expect(loaded).toMatchObject({
      configPath: path,
      configDir: join(dir, 'plain'),
      moduleUrl: expect.stringMatching(/^file:.*\/node_modules\/fake-backend\/index\.js$/),
      backend: { name: 'fake' },
      backendConfig: { root_path: '/r' },
    });
    // Everything but the description is plain data, as a worker thread receives it.
    const { backend: _backend, ...data } = loaded;
    expect(structuredClone(data)).toEqual(data);
    expect(await importBackend(loaded.moduleUrl, 'fake-backend')).toBe(loaded.backend);
  });

  it('takes a path relative to the working directory and reports it absolute', async () => {
    const path = await write(
      'relative-path/agent.yml',
      'version: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: ../my-backend.mjs}\n',
    );
    const loaded = await loadAgentBackend(relative(process.cwd(), path));
    expect(loaded.configPath).toBe(path);
    expect(loaded.backend.name).toBe('relative');
  });

  it('importBackend(url of a module without a backend) rejects with PLUGIN_LOAD naming the backend', async () => {
    await expect(
      importBackend(pathToFileURL(join(dir, 'no-export.mjs')).href, './no-export.mjs'),
    ).rejects.toMatchObject({ code: 'PLUGIN_LOAD', message: expect.stringContaining('./no-export.mjs') });
  });
});

describe('openBackend', () => {
  it('goes from an agent.yml naming a module next to it to a working, logged API', async () => {
    const path = await write(
      'e2e/agent.yml',
      [
        'version: 1',
        'control-service: {hostname: control.example.com}',
        'dataset:',
        '  backend: ../my-backend.mjs',
        '  root_path: /var/lib/flocker',
        '',
      ].join('\n'),
    );
    const entries: LogEntry[] = [];
    const opened = await openBackend(path, {
      logger: createLogger({ sink: (entry) => entries.push(entry) }),
    });
    expect(opened.config).toEqual({
      version: 1,
      'control-service': { hostname: 'control.example.com', port: 4524 },
      dataset: { backend: '../my-backend.mjs', root_path: '/var/lib/flocker' },
    });
    expect(opened.backend.name).toBe('relative');
    expect(await opened.api.computeInstanceId()).toBe('node-a');
    expect(entries.map((e) => e.action_type ?? e.message_type)).toEqual([
      'relative:computeInstanceId',
      'relative:computeInstanceId:result',
      'relative:computeInstanceId',
    ]);
    expect((opened.api as unknown as { received(): Received }).received()).toEqual({
      config: { root_path: '/var/lib/flocker' },
      configDir: join(dir, 'e2e'),
    });
  });

  it("logs to the logging section's file at its level, with the dataset's secrets blanked", async () => {
    await write(
      'logged/leaky-backend.mjs',
      `${descriptionSource('leaky')}
const leaky = { ...description, apiFactory: (config, context) => ({
  ...description.apiFactory(config, context),
  createVolume: async () => { throw new Error('login failed with ' + config.password); },
}) };
export const FLOCKER_BACKEND = leaky;
`,
    );
    const path = await write(
      'logged/agent.yml',
      [
        'version: 1',
        'control-service: {hostname: control.example.com}',
        'dataset: {backend: ./leaky-backend.mjs, password: hunter2-secret}',
        'logging: {level: info, file: logs/agent.log}',
        '',
      ].join('\n'),
    );
    await mkdir(join(dir, 'logged/logs'));
    const { api } = await openBackend(path);
    expect(await api.computeInstanceId()).toBe('node-a');
    await expect(api.createVolume(DATASET, 1024)).rejects.toThrow('hunter2-secret');

    const logFile = join(dir, 'logged/logs/agent.log');
    const entries = await waitFor({
      what: 'four log lines',
      timeoutMs: 5000,
      poll: async () => {
        const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
        return lines.length >= 4 ? { done: true, value: lines } : { done: false, state: lines.length };
      },
    });
    expect(entries.join('\n')).not.toContain('hunter2-secret');
    const parsed = entries.map((line) => JSON.parse(line) as LogEntry);
    // Level info keeps the actions and drops the debug result entries.
    expect(parsed.map((e) => `${e.action_type} ${e.action_status}`)).toEqual([
      'leaky:computeInstanceId started',
      'leaky:computeInstanceId succeeded',
      'leaky:createVolume started',
      'leaky:createVolume failed',
    ]);
    expect(parsed[3]?.error).toMatchObject({ message: 'login failed with [REDACTED]' });
  });

  it("validates the backend's keys with the backend's zod schema", async () => {
    const path = await write(
      'agent-bad-keys.yml',
      'version: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: fake-backend, size: big, bogus: 1}\n',
    );
    const open = openBackend(path);
    await expect(open).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    const problems = await open.catch((error: { problems: string[] }) => error.problems);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        'dataset.root_path: required key is missing',
        expect.stringMatching(/^dataset\.size: .*number/),
        'dataset.bogus: unknown key',
      ]),
    );
  });

  it('an invalid agent.yml rejects with INVALID_CONFIG listing each path: message', async () => {
    const path = await write('agent-invalid.yml', 'version: 2\ncontrol-service: {port: 1.1}\nextra: 1\n');
    const open = openBackend(path);
    await expect(open).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining(`invalid configuration in ${path}:\n  - `),
      problems: [
        expect.stringMatching(/^version: /),
        'control-service.hostname: required key is missing',
        expect.stringMatching(/^control-service\.port: /),
        'dataset: required key is missing',
        'extra: unknown key',
      ],
    });
  });

  it('finds a package the config directory and working directory lack where alsoFrom says it is installed', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'flockerjs-agent-'));
    try {
      const path = join(elsewhere, 'agent.yml');
      await writeFile(
        path,
        'version: 1\ncontrol-service: {hostname: a.b}\ndataset: {backend: fake-backend, root_path: /r}\n',
      );
      await expect(openBackend(path)).rejects.toMatchObject({ code: 'PLUGIN_LOAD' });
      const opened = await openBackend(path, { alsoFrom: [pathToFileURL(join(dir, '/')).href] });
      expect(opened.backend.name).toBe('fake');
      expect(opened.moduleUrl).toBe(pathToFileURL(join(dir, 'node_modules/fake-backend/index.js')).href);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('a missing agent.yml rejects with INVALID_CONFIG naming the file', async () => {
    const path = join(dir, 'missing.yml');
    await expect(openBackend(path)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      problems: [`(file): cannot read ${path}: ENOENT`],
    });
  });
});
