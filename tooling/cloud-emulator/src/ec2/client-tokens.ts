import { Ec2Error } from './ec2-error.js';
import type { XmlObject } from './xml.js';

/** How long EC2 remembers a client token; the EBS CSI driver observed about 12 hours. */
export const CLIENT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
/** EC2 refuses longer tokens. */
export const CLIENT_TOKEN_MAX_LENGTH = 64;

interface Remembered {
  readonly fingerprint: string;
  readonly reply: XmlObject;
  readonly expiresMs: number;
}

/**
 * ClientToken idempotency (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html): a
 * repeated request with the same token and parameters gets the first reply and changes nothing; the same
 * token with other parameters is `IdempotentParameterMismatch`.
 */
export class ClientTokens {
  readonly #entries = new Map<string, Remembered>();
  readonly #ttlMs: number;

  constructor(ttlMs = CLIENT_TOKEN_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /** The earlier reply for this token, if any. */
  replay(action: string, token: string | undefined, fingerprint: string): XmlObject | undefined {
    if (token === undefined) return undefined;
    if (token.length > CLIENT_TOKEN_MAX_LENGTH) {
      throw new Ec2Error('InvalidParameterValue', `Value (${token}) for parameter clientToken is invalid.`);
    }
    const key = `${action}\n${token}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresMs <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    if (entry.fingerprint !== fingerprint) {
      throw new Ec2Error(
        'IdempotentParameterMismatch',
        'The client token you have provided is associated with a resource that has different parameters.',
      );
    }
    return entry.reply;
  }

  remember(action: string, token: string | undefined, fingerprint: string, reply: XmlObject): void {
    if (token === undefined) return;
    this.#entries.set(`${action}\n${token}`, { fingerprint, reply, expiresMs: Date.now() + this.#ttlMs });
  }
}
