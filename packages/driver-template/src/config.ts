import { z } from 'zod';

/** Where the stand-in storage system keeps its disks unless `backing_dir` says otherwise. */
export const DEFAULT_BACKING_DIR = '/var/lib/flocker/__driver_name__';
/** 1 MiB. TODO(driver-author): the granularity your storage system allocates in (EBS: 1 GiB). */
export const DEFAULT_ALLOCATION_UNIT = 1024 * 1024;
/** Node ids as the storage system names hosts. TODO(driver-author): your system's instance id format. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * The `dataset` section of agent.yml for this backend (without `backend`). Every key is documented here, once:
 * the README's options list repeats these descriptions.
 *
 * TODO(driver-author): replace the stand-in's keys with what your API client needs: an endpoint, a region,
 * credentials (keys named `*password*`, `*secret*`, `*token*` or `*key*` are blanked in logs).
 */
export const configSchema = z
  .strictObject({
    backing_dir: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .default(DEFAULT_BACKING_DIR)
      .describe(
        `Directory where the in-memory stand-in storage system keeps its disks as sparse files. Default ${DEFAULT_BACKING_DIR}.`,
      ),
    compute_instance_id: z
      .string()
      .regex(INSTANCE_ID_PATTERN, 'must be 1-128 letters, digits, ".", "_", ":", "@" or "-"')
      .optional()
      .describe("This node's id as the storage system knows it. Default: the host name."),
    allocation_unit: z
      .int()
      .positive()
      .default(DEFAULT_ALLOCATION_UNIT)
      .describe(
        `Volume sizes must be a multiple of this many bytes. Default ${DEFAULT_ALLOCATION_UNIT} (1 MiB).`,
      ),
  })
  .describe('__driver_name__ backend.');

export type __DriverName__ConfigInput = z.input<typeof configSchema>;
export type __DriverName__Config = z.output<typeof configSchema>;
