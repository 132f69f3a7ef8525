import type { FabricError, FabricErrorKind } from '../fabric/fabric-error.js';

/**
 * An EC2 API error: the code clients match on and the HTTP status. Client errors are 400; server errors and
 * throttling are 5xx, as in https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 */
export class Ec2Error extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'Ec2Error';
    this.code = code;
    this.status = status;
  }
}

/** The EC2 code of each fabric refusal. */
const CODES: Record<FabricErrorKind, string> = {
  'volume-not-found': 'InvalidVolume.NotFound',
  'instance-not-found': 'InvalidInstanceID.NotFound',
  'volume-in-use': 'VolumeInUse',
  'incorrect-state': 'IncorrectState',
  'device-in-use': 'InvalidParameterValue',
  'invalid-device': 'InvalidParameterValue',
  'zone-mismatch': 'InvalidVolume.ZoneMismatch',
  'invalid-zone': 'InvalidZone.NotFound',
  'invalid-parameter': 'InvalidParameterValue',
  'attachment-not-found': 'InvalidAttachment.NotFound',
  'instance-not-running': 'IncorrectInstanceState',
  'insufficient-capacity': 'InsufficientVolumeCapacity',
};

export function fromFabricError(error: FabricError): Ec2Error {
  return new Ec2Error(CODES[error.kind], error.message);
}

export const requestLimitExceeded = (): Ec2Error =>
  new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);

export const internalError = (): Ec2Error =>
  new Ec2Error('InternalError', 'An internal error has occurred', 500);
