import { driverSettings } from './driver-settings.js';
import { driverId, readDriverPackages } from './workspace.js';

/** One driver's job in the CI conformance matrix and in the nightly certification matrix. */
export interface DriverMatrixEntry {
  /** `loopback`: the folder name after `driver-`. */
  readonly driver: string;
  /** `@flockerjs/driver-loopback`. */
  readonly package: string;
  /** `packages/driver-loopback`. */
  readonly dir: string;
  /** Whether the package is published (the template is not; it is still tested). */
  readonly published: boolean;
  readonly needsRoot: boolean;
  /** Extra environment for the job, as one JSON object string (GitHub expressions cannot build objects). */
  readonly env: string;
  readonly timeoutMinutes: number;
  /** Real cloud for the nightly, or `''` for none. */
  readonly cloud: string;
  /** The nightly's setup script relative to the repository root, or `''` for none. */
  readonly setup: string;
}

/** The `strategy.matrix` object for GitHub Actions (`fromJSON`): one entry per `packages/driver-*` package. */
export async function driverMatrix(root: string): Promise<{ readonly include: DriverMatrixEntry[] }> {
  const drivers = await readDriverPackages(root);
  return {
    include: drivers.map((pkg) => {
      const settings = driverSettings(pkg);
      return {
        driver: driverId(pkg),
        package: pkg.manifest.name,
        dir: pkg.dir,
        published: pkg.manifest.private !== true,
        needsRoot: settings.conformance.needsRoot,
        env: JSON.stringify(settings.conformance.env),
        timeoutMinutes: settings.conformance.timeoutMinutes,
        cloud: settings.certify.cloud ?? '',
        setup: settings.certify.setup === undefined ? '' : `${pkg.dir}/${settings.certify.setup}`,
      };
    }),
  };
}
