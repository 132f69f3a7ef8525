/**
 * Why the fabric refused an operation, in terms of the fabric. Each front end maps these to its own API's
 * errors (EC2 codes, OpenStack HTTP statuses), so the rules live once, here.
 */
export const FABRIC_ERROR_KINDS = [
  'volume-not-found',
  'instance-not-found',
  'volume-in-use',
  'incorrect-state',
  'device-in-use',
  'invalid-device',
  'zone-mismatch',
  'invalid-zone',
  'invalid-parameter',
  'attachment-not-found',
  'instance-not-running',
  'insufficient-capacity',
] as const;
export type FabricErrorKind = (typeof FABRIC_ERROR_KINDS)[number];

export class FabricError extends Error {
  readonly kind: FabricErrorKind;
  constructor(kind: FabricErrorKind, message: string) {
    super(message);
    this.name = 'FabricError';
    this.kind = kind;
  }
}
