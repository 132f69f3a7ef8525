/**
 * Bad arguments, configuration or environment: the command prints the message and exits 2. The usage text
 * follows only when the arguments themselves were wrong.
 */
export class UsageError extends Error {
  readonly showUsage: boolean;
  constructor(message: string, { showUsage = true } = {}) {
    super(message);
    this.name = 'UsageError';
    this.showUsage = showUsage;
  }
}

/** A configuration or environment problem: exit 2, without the usage text. */
export function configError(message: string): UsageError {
  return new UsageError(message, { showUsage: false });
}
