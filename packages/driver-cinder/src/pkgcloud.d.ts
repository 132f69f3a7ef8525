// Local types for the parts of pkgcloud 2.2.0 this package uses (@types/pkgcloud covers only storage).
declare module 'pkgcloud' {
  /** pkgcloud's error for a response whose status is in `failCodes`. */
  export interface PkgcloudError extends Error {
    readonly statusCode?: number;
    readonly failCode?: string;
    readonly result?: unknown;
    readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
    readonly code?: string;
  }

  export type Callback<T> = (error: PkgcloudError | null, result?: T) => void;

  /** The request options pkgcloud hands to `request`; `before` hooks may add to them. */
  export interface RequestOptions {
    headers: Record<string, string>;
    timeout?: number;
    strictSSL?: boolean;
    agentOptions?: Record<string, unknown>;
    [option: string]: unknown;
  }

  /** What pkgcloud's OpenStack clients expect of `options.identity`. */
  export interface IdentityLike {
    token?: { id: string; expires: Date } | undefined;
    authorize(options: unknown, callback?: (error?: unknown) => void): void;
    getServiceEndpointUrl(options: {
      region?: string;
      serviceType: string;
      useInternal?: boolean;
      useAdmin?: boolean;
    }): string;
    on(event: string, listener: (...args: unknown[]) => void): unknown;
  }

  export interface OpenStackClientOptions {
    provider: 'openstack';
    authUrl: string;
    region: string;
    keystoneAuthVersion: 'v3';
    username?: string;
    password?: string;
    /** Replaces pkgcloud's Keystone client; constructed with the client's identity options. */
    identity?: new (
      options: Record<string, unknown>,
    ) => IdentityLike;
    /** Re-authenticate when the token has less than this many milliseconds left. @default 300000 */
    earlyTokenTimeout?: number;
    strictSSL?: boolean;
    useInternal?: boolean;
    useAdmin?: boolean;
  }

  export interface OpenStackClient {
    serviceType: string;
    failCodes: Record<number, string>;
    before: ((options: RequestOptions) => RequestOptions | undefined)[];
    _serviceUrl: string | null;
    _identity: IdentityLike;
    auth(callback: (error?: unknown) => void): void;
    /** pkgcloud's request with its token and endpoint; the callback gets the parsed JSON body. */
    _request(
      options: { method?: string; path: string; qs?: Record<string, string>; body?: unknown },
      callback: (error: PkgcloudError | null, body?: unknown) => void,
    ): unknown;
  }

  export interface PkgcloudVolume {
    readonly id?: string;
    readonly status?: string;
    readonly name?: string;
    readonly size?: number;
    readonly attachments?: readonly Record<string, unknown>[];
  }

  export interface BlockStorageClient extends OpenStackClient {
    getVolume(volumeId: string, callback: Callback<PkgcloudVolume>): unknown;
    deleteVolume(volumeId: string, callback: Callback<void>): unknown;
  }

  export interface VolumeAttachment {
    readonly id: string;
    readonly serverId: string;
    readonly volumeId: string;
    readonly device: string | null;
  }

  export interface ComputeClient extends OpenStackClient {
    attachVolume(serverId: string, volumeId: string, callback: Callback<VolumeAttachment>): unknown;
    detachVolume(serverId: string, volumeId: string, callback: Callback<void>): unknown;
  }

  interface Pkgcloud {
    readonly version: string;
    readonly blockstorage: { createClient(options: OpenStackClientOptions): BlockStorageClient };
    readonly compute: { createClient(options: OpenStackClientOptions): ComputeClient };
  }

  const pkgcloud: Pkgcloud;
  export default pkgcloud;
}
