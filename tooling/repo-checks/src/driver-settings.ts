import { z } from 'zod';
import type { WorkspacePackage } from './workspace.js';

/** Environment variable names the settings may set: no `GITHUB_*`/`RUNNER_*`, nothing that changes PATH. */
const ENV_NAME = /^(?!GITHUB_|RUNNER_|PATH$)[A-Z][A-Z0-9_]*$/;

/**
 * The `flockerjs` field of a driver's package.json: how CI runs its conformance suite and how the nightly
 * certifies it. Every key is optional; a driver without the field gets the defaults.
 */
export const driverSettingsSchema = z
  .strictObject({
    conformance: z
      .strictObject({
        needsRoot: z
          .boolean()
          .default(true)
          .describe(
            'Run the tests as root (sudo). Default true: the conformance suite writes to the block devices it is given, which needs root.',
          ),
        env: z
          .record(z.string().regex(ENV_NAME, 'must be an upper-case variable name'), z.string())
          .default({})
          .describe(
            'Extra environment variables for the conformance job, say a flag that selects the emulator.',
          ),
        timeoutMinutes: z
          .int()
          .min(1)
          .max(120)
          .default(20)
          .describe('Time limit of the conformance job. Default 20.'),
      })
      .prefault({})
      .describe('The per-pull-request conformance job.'),
    certify: z
      .strictObject({
        cloud: z
          .enum(['aws', 'openstack'])
          .optional()
          .describe(
            'The real cloud the nightly certifies against when the repository has its credentials; without it, or without credentials, the nightly runs against the emulator or local resources.',
          ),
        setup: z
          .string()
          .regex(/^[A-Za-z0-9._/-]+\.sh$/, 'must be a relative path to a .sh script')
          .refine((path) => !path.split('/').includes('..'), 'must stay inside the package')
          .optional()
          .describe(
            'Script (relative to the package) the nightly runs before flocker-certify, with FLOCKER_CERTIFY_TARGET=cloud|emulator and FLOCKER_CERTIFY_CONFIG=<path>: it prepares the backend and writes the agent.yml there. Without it the agent.yml is `dataset: { backend: <package name> }`.',
          ),
      })
      .prefault({})
      .describe('The nightly certification job.'),
  })
  .prefault({})
  .describe('How CI tests and certifies this driver (package.json field `flockerjs`).');

export type DriverSettings = z.output<typeof driverSettingsSchema>;

/**
 * A driver package's settings with defaults applied.
 * @throws naming the package and every problem in its `flockerjs` field.
 */
export function driverSettings(pkg: WorkspacePackage): DriverSettings {
  const parsed = driverSettingsSchema.safeParse(pkg.manifest.flockerjs);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `flockerjs.${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`${pkg.dir}/package.json: ${problems.join('; ')}`);
}
