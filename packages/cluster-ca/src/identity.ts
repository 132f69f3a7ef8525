import { CertificateError } from '@flockerjs/core-interface';

/**
 * The name every control-service certificate carries (CN and a DNS SAN), and the only name Flocker's clients
 * accept from the server, whatever host or address they dialled: agents keep working when the control service
 * moves to another address.
 */
export const CONTROL_SERVICE_NAME = 'control-service';
/** CN prefix of a node agent's certificate; the rest of the CN is the node's UUID. */
export const NODE_CN_PREFIX = 'node-';
/** CN prefix of an API user's certificate; the rest of the CN is the user name. */
export const USER_CN_PREFIX = 'user-';

/** The kinds of party a cluster certificate identifies. */
export const PEER_KINDS = ['control', 'node', 'user'] as const;
export type PeerKind = (typeof PEER_KINDS)[number];

/** Who a cluster certificate identifies; `clusterId` is its OU. */
export type Identity =
  | { readonly kind: 'control'; readonly clusterId: string }
  | { readonly kind: 'node'; readonly nodeUuid: string; readonly clusterId: string }
  | { readonly kind: 'user'; readonly userName: string; readonly clusterId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * User names become file names (`<name>.crt`) and CNs, so they are kept to letters, digits, `.`, `_` and `-`,
 * starting with a letter or digit; 59 characters keep `user-<name>` within X.509's 64-character CN limit.
 */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,58}$/;

/** True when `value` is a lowercase UUID, the form of node and cluster ids. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Throws a CERTIFICATE error unless `name` can be an API user's name. */
export function checkUserName(name: string): void {
  if (!USER_NAME.test(name))
    throw new CertificateError(
      undefined,
      `invalid user name ${JSON.stringify(name)}: expected 1-59 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
}

/**
 * The identity a certificate subject names, or a reason why it names none. `cn` and `ou` are as Node reports
 * them (`getPeerCertificate().subject`): a repeated attribute arrives as an array, which no cluster certificate
 * has, so it identifies nobody.
 */
export function identityFromSubject(
  cn: string | readonly string[] | undefined,
  ou: string | readonly string[] | undefined,
): Identity | { readonly refused: string } {
  if (typeof cn !== 'string') return { refused: 'the certificate has no single CN' };
  if (typeof ou !== 'string' || !isUuid(ou))
    return { refused: 'the certificate has no cluster id (its OU is not a single UUID)' };
  if (cn === CONTROL_SERVICE_NAME) return { kind: 'control', clusterId: ou };
  if (cn.startsWith(NODE_CN_PREFIX)) {
    const nodeUuid = cn.slice(NODE_CN_PREFIX.length);
    if (isUuid(nodeUuid)) return { kind: 'node', nodeUuid, clusterId: ou };
    return { refused: `CN ${JSON.stringify(cn)} does not end in a node UUID` };
  }
  if (cn.startsWith(USER_CN_PREFIX)) {
    const userName = cn.slice(USER_CN_PREFIX.length);
    if (USER_NAME.test(userName)) return { kind: 'user', userName, clusterId: ou };
    return { refused: `CN ${JSON.stringify(cn)} does not end in a valid user name` };
  }
  return { refused: `CN ${JSON.stringify(cn)} is neither control-service, node-<uuid> nor user-<name>` };
}
