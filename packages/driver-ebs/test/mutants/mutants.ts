import { withMethods } from '@flockerjs/conformance';
import type { IBlockDeviceAPI } from '@flockerjs/core-interface';
import type { AwsEbsDriver, Ec2Api } from '../../src/index.js';

/**
 * Broken variants of the EBS driver, each with a bug EBS drivers have had. The conformance suite must fail
 * each in the tests that own the bug. (A driver that makes a new ClientToken per call is caught by
 * ebs-driver.test.ts instead: only a create repeated after a failure shows it, which the suite never does.)
 */
export interface Mutant {
  /** Changes the EC2 client the driver gets. */
  readonly ec2?: (ec2: Ec2Api) => Ec2Api;
  /** Changes the driver's own methods. */
  readonly api?: (api: AwsEbsDriver) => IBlockDeviceAPI;
  /** Runs against an emulator that loses CreateVolume replies (the SDK's retries must make no second volume). */
  readonly lossy?: boolean;
}

export const MUTANTS = {
  /** The driver as it is, on the lossy emulator: the control for the mutants below. */
  none: { lossy: true },
  /** Returns the device of another volume attached here (wrong NVMe link, stale xvd name): data loss. */
  'wrong-device': {
    api: (api) =>
      withMethods(api, {
        async getDevicePath(id) {
          const node = await api.computeInstanceId();
          const other = (await api.listVolumes()).find(
            (v) => v.attachedTo === node && v.blockDeviceId !== id,
          );
          return api.getDevicePath(other?.blockDeviceId ?? id);
        },
      }),
  },
  /** Lists by `tag-key` instead of the cluster's tag value: sees every cluster's volumes. */
  'ignores-cluster': {
    ec2: (ec2) => ({
      ...ec2,
      describeVolumes: (filters, maxResults, nextToken) =>
        ec2.describeVolumes(
          filters.map((filter) =>
            filter.name === 'tag:flocker-cluster-id'
              ? { name: 'tag-key', values: ['flocker-cluster-id'] }
              : filter,
          ),
          maxResults,
          nextToken,
        ),
    }),
  },
} satisfies Record<string, Mutant>;

export type MutantName = keyof typeof MUTANTS;
