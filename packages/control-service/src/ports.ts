// Apart from server.ts so that the command's usage text can show them without loading fastify.

/** The REST API's port when none is given, as the original. */
export const DEFAULT_API_PORT = 4523;
/** The agents' port when none is given: the original's AMP port, which agent.yml defaults to. */
export const DEFAULT_AGENT_PORT = 4524;
