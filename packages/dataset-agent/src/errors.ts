/** Codes of the errors the agent raises on purpose; API, like core-interface's codes. */
export const AGENT_ERROR_CODES = [
  /** The desired-state file is unreadable or invalid. */
  'INVALID_DESIRED_STATE',
  /** A device about to be formatted holds a signature: it is never formatted. */
  'DEVICE_HOLDS_DATA',
  /** A device about to be detached, grown or mounted is mounted (busy mounts stay). */
  'DEVICE_MOUNTED',
  /** Something else is mounted at a dataset's mount point. */
  'MOUNT_POINT_TAKEN',
  /** A dataset got a volume from someone else meanwhile, or the change no longer applies. */
  'STALE_CHANGE',
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentError';
    this.code = code;
  }
}
