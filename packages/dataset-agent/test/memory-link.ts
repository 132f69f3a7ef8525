import type {
  ClusterConfiguration,
  ClusterLink,
  DatasetLease,
  DesiredDataset,
  NodeStateReport,
} from '../src/index.js';

/** A {@link ClusterLink} held in memory, for in-process agents; `registry` turns on the ownership registry. */
export class MemoryLink implements ClusterLink {
  readonly nodeId: string;
  datasets: DesiredDataset[] = [];
  leases: DatasetLease[] = [];
  reports: NodeStateReport[] = [];
  readonly ownership: Map<string, string> | undefined;
  registerVolume?: (datasetId: string, blockDeviceId: string) => Promise<string>;

  constructor(nodeId: string, options: { registry?: Map<string, string> } = {}) {
    this.nodeId = nodeId;
    this.ownership = options.registry;
    const registry = options.registry;
    if (registry !== undefined) {
      this.registerVolume = async (datasetId, blockDeviceId) => {
        if (!registry.has(datasetId)) registry.set(datasetId, blockDeviceId);
        return registry.get(datasetId) ?? blockDeviceId;
      };
    }
  }

  /** Makes `primary` hold `datasetId` (64 MiB unless said otherwise). */
  want(datasetId: string, primary: string | null, fields: Partial<DesiredDataset> = {}): void {
    this.datasets = [
      ...this.datasets.filter((d) => d.datasetId !== datasetId),
      { datasetId, primary, maximumSize: 64 * 1024 * 1024, metadata: {}, deleted: false, ...fields },
    ];
  }

  async configuration(): Promise<ClusterConfiguration> {
    return {
      datasets: this.datasets,
      leases: this.leases,
      ...(this.ownership === undefined ? {} : { ownership: new Map(this.ownership) }),
    };
  }

  async changed(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  async report(state: NodeStateReport): Promise<void> {
    this.reports.push(state);
  }

  async close(): Promise<void> {}
}
