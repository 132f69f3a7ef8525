import { createWriteStream } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { moduleResolve } from 'import-meta-resolve';
import { z } from 'zod';
import type { AgentConfig, DatasetConfig } from './config.js';
import { BLOCK_DEVICE_API_METHODS, type IBlockDeviceAPI, withProfileAliases } from './driver.js';
import { InvalidConfigError, PluginLoadError } from './errors.js';
import { formatIssues, issueMessages } from './issues.js';
import { loadAgentConfig } from './load-config.js';
import {
  createLogger,
  instrumentApi,
  jsonLinesSink,
  type Logger,
  secretValues,
  silentLogger,
} from './log.js';
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

/** How to certify a backend from its agent.yml: the suite's knobs and how to get isolated instances. */
export interface CertificationHints<Config = unknown> {
  /** Size in bytes of the volumes tests create; a multiple of the allocation unit. @default 1 GiB */
  readonly minimumAllocatableSize?: number;
  /** Granularity in bytes of device sizes as the kernel sees them. @default 1 */
  readonly deviceAllocationUnit?: number;
  /** A well-formed id that no volume has. @default a random UUID */
  unknownBlockDeviceId?(): string;
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
  /** For eventually consistent listings, as the conformance option of the same name. */
  readonly consistency?: { readonly attempts: number; readonly intervalMs: number };
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
 * @throws `PLUGIN_LOAD` when it is neither built in nor importable.
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

  let url: string | undefined;
  let lastError: unknown;
  for (const base of bases) {
    try {
      url = moduleResolve(request, base).href;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (url === undefined) {
    const detail =
      builtin === undefined
        ? `is neither a built-in backend (${Object.keys(BUILTIN_BACKENDS).join(', ')}) nor an importable module`
        : `is built in, but its package ${builtin} is not installed (npm install ${builtin})`;
    throw new PluginLoadError(name, detail, { cause: lastError });
  }
  return url;
}

export async function loadBackend(name: string, options: LoadBackendOptions): Promise<BackendDescription> {
  const url = resolveBackend(name, options);
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(name, `failed to import ${url}: ${(error as Error).message}`, { cause: error });
  }

  const candidate = findDescription(module);
  if (candidate === undefined) {
    throw new PluginLoadError(
      name,
      'the module does not export FLOCKER_BACKEND (nor a default export of it)',
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
  if (!parsed.success) throw new InvalidConfigError(formatIssues(parsed.error.issues, ['dataset']));
  return parsed.data;
}

export interface CreateApiOptions {
  /** Required when the backend declares `needsClusterId`. */
  readonly clusterId?: string;
  readonly configDir: string;
  readonly logger?: Logger;
}

/**
 * Validates the backend's configuration and makes its API, wrapped so that every call is logged.
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
 * every call is logged.
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
      `cluster id: backend ${backend.name} needs the cluster's id (a UUID), got ${JSON.stringify(options.clusterId)}`,
    ]);
  }
  const logger = options.logger ?? silentLogger;
  const api = await backend.apiFactory(config, {
    clusterId: backend.needsClusterId ? options.clusterId : undefined,
    configDir: options.configDir,
    logger,
  });
  const missing: string[] = BLOCK_DEVICE_API_METHODS.filter((method) => typeof api?.[method] !== 'function');
  if (typeof api?.capabilities !== 'object' || api.capabilities === null) missing.push('capabilities');
  if (missing.length > 0) {
    throw new PluginLoadError(backend.name, `apiFactory returned an API without ${missing.join(', ')}`);
  }
  return instrumentApi(withProfileAliases(api), logger, backend.name);
}

export interface OpenedBackend {
  readonly config: AgentConfig;
  readonly backend: BackendDescription;
  readonly api: IBlockDeviceAPI;
}

/**
 * The whole path from an agent.yml to a working API: read and validate the file, load the backend, validate
 * its keys, make the API. Without a `logger`, calls are logged as the file's `logging` section says (JSON
 * lines to `logging.file`, or standard error), or not at all when it has none; the dataset section's secret
 * values are blanked wherever they appear.
 * @throws `INVALID_CONFIG` (every problem, `path.to.key: message`), `PLUGIN_LOAD`, or the factory's error.
 */
export async function openBackend(
  configPath: string,
  options: Omit<CreateApiOptions, 'configDir'> = {},
): Promise<OpenedBackend> {
  const loaded = await loadAgentConfig(configPath);
  if (loaded.errors !== undefined) throw new InvalidConfigError(loaded.errors, configPath);
  const { config } = loaded;
  const configDir = dirname(configPath);
  const logger = options.logger ?? configuredLogger(config, configDir);
  const backend = await loadBackend(config.dataset.backend, { configDir });
  const api = await createBlockDeviceAPI(backend, config.dataset, { ...options, configDir, logger });
  return { config, backend, api };
}

function configuredLogger(config: AgentConfig, configDir: string): Logger {
  if (config.logging === undefined) return silentLogger;
  const { file, level } = config.logging;
  const stream =
    file === undefined ? process.stderr : createWriteStream(resolve(configDir, file), { flags: 'a' });
  return createLogger({ sink: jsonLinesSink(stream), level, secrets: secretValues(config.dataset) });
}
