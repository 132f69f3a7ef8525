export {
  CERTIFICATE_LIFETIME_MS,
  type CertificateAndKey,
  type ClusterAuthority,
  createAuthority,
  expiredValidity,
  type IssueOptions,
  issueApiCertificate,
  issueControlCertificate,
  issueNodeCertificate,
  type Validity,
} from './authority.js';
export {
  type ClusterCredentials,
  type CredentialRole,
  credentialFileNames,
  describeIdentity,
  loadCredentials,
} from './credentials.js';
export { AUTHORITY_FILES, readCertificateFile, writeCertificateFiles } from './files.js';
export {
  CONTROL_SERVICE_NAME,
  type Identity,
  identityFromSubject,
  isUuid,
  NODE_CN_PREFIX,
  PEER_KINDS,
  type PeerKind,
  USER_CN_PREFIX,
} from './identity.js';
export { type PeerPolicy, peerIdentity } from './peer-identity.js';
export { clientTlsOptions, createClientAgent, serverTlsOptions } from './tls-options.js';
