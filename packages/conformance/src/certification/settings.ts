import type { TargetData } from './target.js';

/** The suites a certification runs, in order; `--only` picks one. */
export const SUITES = ['conformance', 'acceptance', 'cluster'] as const;
export type SuiteName = (typeof SUITES)[number];

export function isSuite(name: string): name is SuiteName {
  return (SUITES as readonly string[]).includes(name);
}

/** Which suite a test belongs to, from its full name (`<backend>: acceptance > ...`). */
export function suiteOf(fullName: string): SuiteName {
  if (fullName.includes(': acceptance')) return 'acceptance';
  if (fullName.includes(': cluster')) return 'cluster';
  return 'conformance';
}

/** What the certify command hands the suite module it runs in vitest (through `provide`/`inject`). */
export interface CertifySettings {
  /** The backend certified, loaded once by the command: node A's agent.yml, and node B's keys if given. */
  readonly target: TargetData;
  /** Cluster id of the acceptance run (conformance tests each get a fresh one). */
  readonly clusterId: string;
  /** Where per-test backends (loopback roots, mount points) are made; removed after the run. */
  readonly scratchDir: string;
  /** JSON lines: every API made, for the sweep after the run. */
  readonly manifestFile: string;
  /** JSON lines: the structured log of every backend call and acceptance step. */
  readonly logFile: string;
  /** JSON lines: every driver call and backend API call of the suites, for report's per-method table. */
  readonly callsFile: string;
  readonly only: SuiteName | undefined;
}

export const SETTINGS_KEY = 'flockerjs:certify';
/** The task meta key under which a test reports the capabilities of the API it made. */
export const CAPABILITIES_META = 'flockerjs:capabilities';

declare module 'vitest' {
  export interface ProvidedContext {
    'flockerjs:certify': CertifySettings;
  }
  export interface TaskMeta {
    'flockerjs:capabilities'?: Readonly<Record<string, boolean>>;
  }
}
