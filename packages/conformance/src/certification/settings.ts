/** What the certify command hands the suite module it runs in vitest (through `provide`/`inject`). */
export interface CertifySettings {
  /** The agent.yml whose backend is certified: node A's. */
  readonly configPath: string;
  /** Node B's agent.yml for the acceptance run, where the backend has no `certification.node`. */
  readonly peerConfigPath?: string | undefined;
  /** Cluster id of the acceptance run (conformance tests each get a fresh one). */
  readonly clusterId: string;
  /** Where per-test backends (loopback roots, mount points) are made; removed after the run. */
  readonly scratchDir: string;
  /** JSON lines: every API made, for the sweep after the run. */
  readonly manifestFile: string;
  /** JSON lines: the structured log of every backend call and acceptance step. */
  readonly logFile: string;
  readonly only: 'conformance' | 'acceptance' | undefined;
  /** Module URL to resolve backend packages from, after the config's directory and the working directory. */
  readonly resolveFrom: string;
}

export const SETTINGS_KEY = 'flockerjs:certify';

declare module 'vitest' {
  export interface ProvidedContext {
    'flockerjs:certify': CertifySettings;
  }
}

/** One line of the manifest: an API the run made, enough to open it again and sweep it. */
export interface ManifestEntry {
  readonly clusterId?: string | undefined;
  readonly scratchDir?: string | undefined;
  readonly node?: 'a' | 'b' | undefined;
  readonly capabilities?: Readonly<Record<string, boolean>>;
}
