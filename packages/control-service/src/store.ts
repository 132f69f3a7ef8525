import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssues } from '@flockerjs/core-interface';
import { CONFIGURATION_VERSION, type Configuration, configurationSchema } from './configuration.js';

/** Where the control service keeps its desired configuration. */
export interface ConfigurationStore {
  /** The saved configuration, or undefined when none was ever saved. Throws on a damaged or newer file. */
  load(): Promise<Configuration | undefined>;
  /** Replaces the saved configuration; on return it survives a crash or a power cut. */
  save(configuration: Configuration): Promise<void>;
}

/** The file's name in the data directory (not the original's `current_configuration.json`: another format). */
export const CONFIGURATION_FILE = 'configuration.json';

const TEMP_PREFIX = `${CONFIGURATION_FILE}.tmp-`;

/** A configuration file this code cannot use: damaged, or written by a newer version. */
export class ConfigurationFileError extends Error {
  readonly path: string;
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`${path}: ${detail}`, options);
    this.name = 'ConfigurationFileError';
    this.path = path;
  }
}

/**
 * The configuration in one versioned JSON file, `<dir>/configuration.json`, replaced atomically on each save:
 * written to a temporary sibling and fsynced, renamed over the file, and the directory fsynced, so that after a
 * crash the file holds either the old or the new configuration, whole.
 */
export class FileConfigurationStore implements ConfigurationStore {
  readonly directory: string;
  readonly path: string;

  constructor(directory: string) {
    this.directory = directory;
    this.path = join(directory, CONFIGURATION_FILE);
  }

  async load(): Promise<Configuration | undefined> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    // Temporary files of a save that a crash interrupted: never renamed, so never acknowledged.
    for (const name of await readdir(this.directory)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.directory, name), { force: true });
    }
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseConfigurationFile(this.path, text);
  }

  async save(configuration: Configuration): Promise<void> {
    const temp = join(this.directory, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(configuration, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const dir = await open(this.directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** A store that keeps the configuration in memory only: for tests and throw-away services. */
export function memoryStore(initial?: Configuration): ConfigurationStore {
  let saved = initial;
  return {
    load: async () => saved,
    save: async (configuration) => {
      saved = configuration;
    },
  };
}

/** Parses and checks a configuration file's text; `path` names it in errors. */
export function parseConfigurationFile(path: string, text: string): Configuration {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationFileError(path, 'is not valid JSON', { cause: error });
  }
  const version = (data as { version?: unknown } | null)?.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ConfigurationFileError(path, `has no valid format version (got ${JSON.stringify(version)})`);
  }
  if (version > CONFIGURATION_VERSION) {
    throw new ConfigurationFileError(
      path,
      `was written in format version ${version} by a newer flocker-control; this one reads up to version ` +
        `${CONFIGURATION_VERSION}. Run the newer version, or restore a backup written by this one.`,
    );
  }
  // Older formats would be upgraded here, one step per version; version 1 is the first.
  const parsed = configurationSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigurationFileError(
      path,
      `is damaged:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`,
    );
  }
  return parsed.data;
}
