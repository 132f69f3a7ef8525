import { z } from 'zod';

/** Where volumes live unless `root_path` says otherwise, as the original. */
export const DEFAULT_ROOT_PATH = '/var/lib/flocker/loopback';
/** 1 MiB: the size granularity the conformance suite proves. */
export const DEFAULT_ALLOCATION_UNIT = 1024 * 1024;
/** Node ids are directory names under `attached/`, so they are restricted to what is safe as one. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** The `dataset` section of agent.yml for `backend: loopback`. */
export const configSchema = z
  .strictObject({
    root_path: z
      .string()
      .startsWith('/', 'must be an absolute path')
      .default(DEFAULT_ROOT_PATH)
      .describe(
        `Directory holding the volumes' backing files. Several nodes on one host may share it. Default ${DEFAULT_ROOT_PATH}.`,
      ),
    compute_instance_id: z
      .string()
      .regex(
        NODE_ID_PATTERN,
        'must be 1-128 letters, digits, ".", "_", ":", "@" or "-", starting with a letter or digit',
      )
      .optional()
      .describe(
        "This node's id. Give each node sharing a root its own. Default: a UUID made once and kept in <root_path>/node-id.",
      ),
    allocation_unit: z
      .int()
      .positive()
      .default(DEFAULT_ALLOCATION_UNIT)
      .describe(
        `Volume sizes must be a multiple of this many bytes. Default ${DEFAULT_ALLOCATION_UNIT} (1 MiB).`,
      ),
  })
  .describe('Loopback backend: volumes are sparse files served by loop devices on this host.');

export type LoopbackConfigInput = z.input<typeof configSchema>;
export type LoopbackConfig = z.output<typeof configSchema>;
