import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { moduleResolve } from 'import-meta-resolve';
import { z } from 'zod';
import { capabilityProblems } from './capabilities.js';
import type { AgentConfig, DatasetConfig } from './config.js';
import { BLOCK_DEVICE_API_METHODS, type IBlockDeviceAPI, withProfileAliases } from './driver.js';
import { InvalidConfigError, PluginLoadError } from './errors.js';
import { didYouMean, formatIssues, issueMessages } from './issues.js';
import { loadAgentConfig } from './load-config.js';
import {
  createLogger,
  instrumentApi,
  jsonLinesSink,
  type Logger,
  secretValues,
  silentLogger,
} from './log.js';
import { attributeToMethod, type Metrics, meterApi, noMetrics } from './metrics.js';
import { isUuid } from './validate.js';

/** Built-in backend names and the package each one lives in. */
export const BUILTIN_BACKENDS = {
  loopback: '@flockerjs/driver-loopback',
  aws: '@flockerjs/driver-ebs',
  openstack: '@flockerjs/driver-cinder',
} as const;
export type BuiltinBackendName = keyof typeof BUILTIN_BACKENDS;

export const DEPLOYER_TYPES = ['block'] as const;

/** What an API factory gets besides the backend's validated configuration. */
export interface BackendContext {
  /** This cluster's id (a UUID), when the backend declares `needsClusterId`. */
  readonly clusterId: string | undefined;
  /** Directory of the agent.yml, against which relative paths in the configuration are resolved. */
  readonly configDir: string;
  /** Where the driver logs its backend calls. */
  readonly logger: Logger;
  /**
   * Where the driver counts its backend API calls (tries, throttles); the loader meters the contract calls
   * themselves and labels each backend call with the member it was made in.
   */
  readonly metrics: Metrics;
}

/**
 * What every driver's `static open(config, context)` takes: the {@link BackendContext}, each member optional so a
 * test can open a driver with only what it needs. A driver extends it with its own injected I/O (exec, fs, a
 * cloud client) and its `apiFactory` is exactly `(config, context) => XDriver.open(config, context)`.
 */
export type DriverContext = Partial<BackendContext>;

/**
 * What a backend package exports as `FLOCKER_BACKEND` (or as its default export): the original contract's
 * backend description. Write it as a plain object with `satisfies BackendDescription<Config>`.
 */
export interface BackendDescription<Config = unknown> {
  /** The backend's name, for messages and reports. */
  readonly name: string;
  /** Whether the factory needs the cluster id, to keep each cluster's volumes apart in a shared backend. */
  readonly needsClusterId: boolean;
  /** The zod schema of the `dataset` section without `backend`; its required keys are the required config. */
  readonly configSchema: z.ZodType<Config>;
  /** Only block-device backends exist in flockerjs. */
  readonly deployerType: (typeof DEPLOYER_TYPES)[number];
  /** Makes the API. May do I/O (finding the instance id, checking credentials); errors carry codes. */
  apiFactory(config: Config, context: BackendContext): IBlockDeviceAPI | Promise<IBlockDeviceAPI>;
  /** What `flocker-certify` needs to run the suites from an agent.yml. Without it, defaults apply. */
  readonly certification?: CertificationHints<Config>;
}

/**
 * The conformance suite's knobs that describe a backend rather than a test run. `describeBlockDeviceAPI` and
 * `flocker-certify` both read them from a backend's `certification` member, so they are written once.
 */
export interface SuiteHints {
  /** Size in bytes of the volumes tests create; a multiple of the allocation unit. @default 1 GiB */
  readonly minimumAllocatableSize?: number;
  /** Granularity in bytes of device sizes as the kernel sees them. @default 1 */
  readonly deviceAllocationUnit?: number;
  /** A well-formed id that no volume has, in the backend's format. @default a random UUID */
  unknownBlockDeviceId?(): string;
  /**
   * For eventually consistent listings: how often, and how far apart, a listing assertion is tried before it
   * fails. @default { attempts: 1, intervalMs: 1000 }
   */
  readonly consistency?: { readonly attempts: number; readonly intervalMs: number };
}

/** How to certify a backend from its agent.yml: the suite's knobs and how to get isolated instances. */
export interface CertificationHints<Config = unknown> extends SuiteHints {
  /**
   * The configuration of a fresh, empty backend inside `scratchDir`, for backends that have no cluster id
   * to keep tests apart (each test of a backend with `needsClusterId` gets a new cluster id instead).
   */
  isolate?(config: Config, scratchDir: string): Config;
  /**
   * The configuration of acceptance node `node` over the same storage as the other node; its instance id
   * must differ. Without it, the acceptance run is reported skipped.
   */
  node?(config: Config, node: 'a' | 'b'): Config;
}

const backendShape = z.object({
  name: z.string().min(1),
  needsClusterId: z.boolean(),
  configSchema: z.custom<z.ZodType>(
    (value) => typeof (value as { safeParse?: unknown } | null)?.safeParse === 'function',
    'expected a zod schema',
  ),
  deployerType: z.enum(DEPLOYER_TYPES),
  apiFactory: z.custom<BackendDescription['apiFactory']>(
    (value) => typeof value === 'function',
    'expected a function',
  ),
  certification: z
    .custom<CertificationHints>((value) => typeof value === 'object' && value !== null, 'expected an object')
    .optional(),
});

export interface LoadBackendOptions {
  /** Directory of the agent.yml: module specifiers are resolved from here first. */
  readonly configDir: string;
  /** Module URLs to resolve package names from after the working directory, say the calling tool's own. */
  readonly alsoFrom?: readonly string[];
}

/**
 * The URL of the module a backend name stands for, resolved as {@link loadBackend} does.
 * @throws `PLUGIN_LOAD` saying which case it is: a package that is not installed (with close names of built-in
 *   backends and installed flocker packages), one whose entry file is missing (not built), or a missing file;
 *   naming the places searched.
 */
export function resolveBackend(name: string, options: LoadBackendOptions): string {
  const builtin = Object.hasOwn(BUILTIN_BACKENDS, name)
    ? BUILTIN_BACKENDS[name as BuiltinBackendName]
    : undefined;
  const specifier = builtin ?? name;
  // A path names one file, relative to the config file; a package may be installed beside the config file, in
  // the working directory, or beside this package.
  const isPath = specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:');
  const request = isAbsolute(specifier) ? pathToFileURL(specifier).href : specifier;
  const bases = [pathToFileURL(join(options.configDir, '/'))];
  if (!isPath) {
    bases.push(pathToFileURL(join(process.cwd(), '/')));
    for (const from of options.alsoFrom ?? []) bases.push(new URL(from));
    bases.push(new URL(import.meta.url));
  }

  const errors: unknown[] = [];
  for (const base of bases) {
    try {
      return moduleResolve(request, base).href;
    } catch (error) {
      errors.push(error);
    }
  }
  // A package that is found but whose entry file is not there is the likelier mistake: an unbuilt package.
  const missingEntry = errors
    .map((error) => /^Cannot find module '([^']+)'/.exec((error as Error).message)?.[1])
    .find((file) => file !== undefined);
  const cause = errors.at(-1);
  if (isPath) {
    const file = missingEntry ?? fileURLToPath(new URL(request, bases[0]));
    throw new PluginLoadError(name, `the module file ${file} does not exist`, { cause });
  }
  if (missingEntry !== undefined) {
    throw new PluginLoadError(
      name,
      `package ${specifier} is installed, but its entry file ${missingEntry} is missing: build the package ` +
        '(npm run build) before using it, or check the "exports" of its package.json',
      { cause },
    );
  }
  const searched = `searched node_modules from ${[...new Set(bases.map(searchedFrom))].join(', ')}`;
  if (builtin !== undefined) {
    throw new PluginLoadError(
      name,
      `is built in, but its package ${builtin} is not installed (npm install ${builtin}); ${searched}`,
      { cause },
    );
  }
  const candidates = [...Object.keys(BUILTIN_BACKENDS), ...bases.flatMap(flockerPackagesFrom)];
  throw new PluginLoadError(
    name,
    `is neither a built-in backend (${Object.keys(BUILTIN_BACKENDS).join(', ')}) nor an installed package` +
      `${didYouMean(name, candidates)}; ${searched}`,
    { cause },
  );
}

/** The directory a resolution base stands for, as a message names it. */
function searchedFrom(base: URL): string {
  return base.href.endsWith('/') ? fileURLToPath(base) : dirname(fileURLToPath(base));
}

/**
 * What names a user might have meant: the packages with `flocker` in their name installed in the node_modules
 * above `base`, and the package `base` lies in (a driver's own agent.yml names the driver itself).
 */
function flockerPackagesFrom(base: URL): string[] {
  const names: string[] = [];
  for (let dir = searchedFrom(base); ; dir = dirname(dir)) {
    const own = readJson(join(dir, 'package.json'))?.name;
    if (typeof own === 'string') names.push(own);
    const modules = join(dir, 'node_modules');
    for (const entry of listDir(modules)) {
      const scoped = entry.startsWith('@')
        ? listDir(join(modules, entry)).map((n) => `${entry}/${n}`)
        : [entry];
      names.push(...scoped.filter((n) => n.includes('flocker')));
    }
    if (dirname(dir) === dir) return names;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function loadBackend(name: string, options: LoadBackendOptions): Promise<BackendDescription> {
  return importBackend(resolveBackend(name, options), name);
}

/**
 * Imports the backend module at `url` (from {@link resolveBackend}) and checks its `FLOCKER_BACKEND`.
 * @param name the backend as agent.yml names it, for messages.
 * @throws `PLUGIN_LOAD` when the import fails or the module exports no backend description of the right shape.
 */
export async function importBackend(url: string, name: string): Promise<BackendDescription> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const first = String((error as Error)?.message ?? error).split('\n')[0];
    throw new PluginLoadError(name, `importing ${url} failed: ${first}`, { cause: error });
  }

  const candidate = findDescription(module);
  if (candidate === undefined) {
    const exported = Object.keys(module);
    throw new PluginLoadError(
      name,
      `${url} does not export FLOCKER_BACKEND (nor a default export of it); it exports ` +
        `${exported.length === 0 ? 'nothing' : exported.join(', ')}${didYouMean('FLOCKER_BACKEND', exported)}`,
    );
  }
  const parsed = backendShape.safeParse(candidate, { error: issueMessages });
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues, ['FLOCKER_BACKEND']).join('; ');
    throw new PluginLoadError(name, `FLOCKER_BACKEND does not have the expected shape: ${problems}`);
  }
  return candidate as BackendDescription;
}

function findDescription(module: Record<string, unknown>): unknown {
  const fallback = module.default as Record<string, unknown> | undefined;
  // A CommonJS module imported from ESM arrives as `default`, sometimes twice.
  for (const scope of [module, fallback, fallback?.default as Record<string, unknown> | undefined]) {
    if (scope === undefined || scope === null) continue;
    if (scope.FLOCKER_BACKEND !== undefined) return scope.FLOCKER_BACKEND;
    if (scope !== module && typeof scope.apiFactory === 'function') return scope;
  }
  return undefined;
}

/**
 * Validates the backend's keys of the `dataset` section with the backend's schema.
 * @throws `INVALID_CONFIG` listing each problem as `dataset.key: message`.
 */
export function parseBackendConfig<Config>(
  backend: BackendDescription<Config>,
  dataset: DatasetConfig,
): Config {
  const { backend: _name, ...keys } = dataset;
  const parsed = backend.configSchema.safeParse(keys, { error: issueMessages });
  if (!parsed.success) {
    throw new InvalidConfigError(formatIssues(parsed.error.issues, ['dataset'], backend.configSchema));
  }
  return parsed.data;
}

export interface CreateApiOptions {
  /** Required when the backend declares `needsClusterId`. */
  readonly clusterId?: string;
  readonly configDir: string;
  readonly logger?: Logger;
  /** Where every contract call and backend API call is counted. @default nowhere */
  readonly metrics?: Metrics;
}

/**
 * Validates the backend's configuration and makes its API, wrapped so that every call is logged and metered.
 * @throws `INVALID_CONFIG` for bad keys or a missing cluster id; whatever the factory throws.
 */
export async function createBlockDeviceAPI<Config>(
  backend: BackendDescription<Config>,
  dataset: DatasetConfig,
  options: CreateApiOptions,
): Promise<IBlockDeviceAPI> {
  return instantiateBackend(backend, parseBackendConfig(backend, dataset), options);
}

/**
 * Makes the API from an already validated configuration (see {@link parseBackendConfig}), wrapped so that
 * every call is logged and metered.
 * @throws `INVALID_CONFIG` for a missing cluster id; `PLUGIN_LOAD` for an API lacking members; whatever the
 *   factory throws.
 */
export async function instantiateBackend<Config>(
  backend: BackendDescription<Config>,
  config: Config,
  options: CreateApiOptions,
): Promise<IBlockDeviceAPI> {
  if (backend.needsClusterId && !isUuid(options.clusterId)) {
    throw new InvalidConfigError([
      `cluster id: backend ${backend.name} needs the cluster's id (a UUID), got ${JSON.stringify(options.clusterId)}. ` +
        'The dataset agent takes it from its node certificate, issued for the cluster; used directly, pass ' +
        "the cluster's id: openBackend(path, { clusterId }) or instantiateBackend(backend, config, { clusterId })",
    ]);
  }
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noMetrics;
  const api = await backend.apiFactory(config, {
    clusterId: backend.needsClusterId ? options.clusterId : undefined,
    configDir: options.configDir,
    logger,
    metrics: attributeToMethod(metrics),
  });
  const missing: string[] = BLOCK_DEVICE_API_METHODS.filter((method) => typeof api?.[method] !== 'function');
  if (typeof api?.capabilities !== 'object' || api.capabilities === null) missing.push('capabilities');
  if (missing.length > 0) {
    throw new PluginLoadError(backend.name, `apiFactory returned an API without ${missing.join(', ')}`);
  }
  const problems = capabilityProblems(api);
  if (problems.length > 0) {
    throw new PluginLoadError(
      backend.name,
      `apiFactory returned an API whose capabilities are wrong: ${problems.join('; ')}`,
    );
  }
  return instrumentApi(meterApi(withProfileAliases(api), metrics, backend.name), logger, backend.name);
}

/**
 * An agent.yml with its backend resolved and loaded and the backend's keys validated: everything but the API.
 * All but `backend` is plain data, fit to hand to another thread or process (which imports `moduleUrl` again).
 */
export interface AgentBackend<Config = unknown> {
  /** The agent.yml's absolute path. */
  readonly configPath: string;
  /** Its directory: module specifiers and relative paths of the configuration are resolved from here. */
  readonly configDir: string;
  /** The whole file, validated, with defaults applied. */
  readonly config: AgentConfig;
  /** URL of the module the backend was imported from. */
  readonly moduleUrl: string;
  readonly backend: BackendDescription<Config>;
  /** The `dataset` keys other than `backend`, validated by the backend's `configSchema`. */
  readonly backendConfig: Config;
}

/**
 * Reads and validates an agent.yml, resolves and imports the backend its `dataset.backend` names, and
 * validates the backend's keys: the steps every user of agent.yml shares ({@link openBackend}, `flocker-certify`).
 * @throws `INVALID_CONFIG` (every problem, `path.to.key: message`), `PLUGIN_LOAD`.
 */
export async function loadAgentBackend(
  configPath: string,
  options: Pick<LoadBackendOptions, 'alsoFrom'> = {},
): Promise<AgentBackend> {
  const path = resolve(configPath);
  const loaded = await loadAgentConfig(path);
  if (loaded.errors !== undefined) throw new InvalidConfigError(loaded.errors, configPath);
  const { config } = loaded;
  const configDir = dirname(path);
  const moduleUrl = resolveBackend(config.dataset.backend, { ...options, configDir });
  const backend = await importBackend(moduleUrl, config.dataset.backend);
  const backendConfig = parseBackendConfig(backend, config.dataset);
  return { configPath: path, configDir, config, moduleUrl, backend, backendConfig };
}

/** An agent.yml's backend with its API made. */
export interface OpenedBackend extends AgentBackend {
  readonly api: IBlockDeviceAPI;
}

/**
 * The whole path from an agent.yml to a working API: {@link loadAgentBackend}, then
 * {@link instantiateBackend}. Without a `logger`, calls are logged as the file's `logging` section says (JSON
 * lines to `logging.file`, or standard error), or not at all when it has none; the dataset section's secret
 * values are blanked wherever they appear.
 * @throws `INVALID_CONFIG` (every problem, `path.to.key: message`), `PLUGIN_LOAD`, or the factory's error.
 */
export async function openBackend(
  configPath: string,
  options: Omit<CreateApiOptions, 'configDir'> & Pick<LoadBackendOptions, 'alsoFrom'> = {},
): Promise<OpenedBackend> {
  const { alsoFrom, ...createOptions } = options;
  const loaded = await loadAgentBackend(configPath, alsoFrom === undefined ? {} : { alsoFrom });
  const { config, configDir } = loaded;
  const logger = options.logger ?? configuredLogger(config, configDir);
  const api = await instantiateBackend(loaded.backend, loaded.backendConfig, {
    ...createOptions,
    configDir,
    logger,
  });
  return { ...loaded, api };
}

function configuredLogger(config: AgentConfig, configDir: string): Logger {
  if (config.logging === undefined) return silentLogger;
  const { file, level } = config.logging;
  const stream =
    file === undefined ? process.stderr : createWriteStream(resolve(configDir, file), { flags: 'a' });
  return createLogger({ sink: jsonLinesSink(stream), level, secrets: secretValues(config.dataset) });
}
