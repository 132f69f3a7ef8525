import { z } from 'zod';

/** The control service's port when agent.yml does not name one, as the original agent. */
export const DEFAULT_CONTROL_SERVICE_PORT = 4524;

/** Where the agent reads its configuration unless told otherwise. */
export const DEFAULT_AGENT_CONFIG_PATH = '/etc/flocker/agent.yml';

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `agent.yml`: the envelope every node's configuration shares. The `dataset` section names the backend; its
 * other keys belong to that backend and are validated by the backend's own schema after it is loaded.
 */
export const agentConfigSchema = z
  .strictObject({
    version: z.literal(1).describe('Version of the configuration format. Must be 1.'),
    'control-service': z
      .strictObject({
        hostname: z
          .string()
          .refine(isHostOrAddress, 'must be a host name or an IP address')
          .describe('Host name or IP address of the control service.'),
        port: z
          .int()
          .min(1)
          .max(65535)
          .default(DEFAULT_CONTROL_SERVICE_PORT)
          .describe(`TCP port of the control service. Defaults to ${DEFAULT_CONTROL_SERVICE_PORT}.`),
      })
      .describe('Where the node reaches the control service.'),
    dataset: z
      .looseObject({
        backend: z
          .string()
          .min(1)
          .describe(
            'The storage backend: a built-in name (loopback, aws, openstack), a package name, or a module path ' +
              "resolved from this file's directory. Every other key of this section is the backend's own.",
          ),
      })
      .describe('The storage backend and its settings.'),
    logging: z
      .strictObject({
        level: z
          .enum(LOG_LEVELS)
          .default('info')
          .describe('Least severe level that is written. Defaults to info.'),
        file: z
          .string()
          .min(1)
          .optional()
          .describe('File the structured JSON log is appended to. Defaults to standard error.'),
      })
      .optional()
      .describe('Structured logging of every backend call.'),
  })
  .describe('flockerjs dataset agent configuration (agent.yml).');

function isHostOrAddress(value: string): boolean {
  return z.hostname().safeParse(value).success || z.ipv6().safeParse(value).success;
}

/** agent.yml as users write it. */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
/** agent.yml after validation, with defaults applied. */
export type AgentConfig = z.output<typeof agentConfigSchema>;
/** The `dataset` section: `backend` plus the backend's own keys. */
export type DatasetConfig = AgentConfig['dataset'];

/** The JSON Schema of agent.yml, as shipped in `schema.json`. */
export function agentConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(agentConfigSchema, { io: 'input' }) as Record<string, unknown>;
}
