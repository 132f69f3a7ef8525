// The narrow interface of the storage system's API: exactly the calls the driver makes, and nothing else. The
// driver depends on this interface only, so tests can hand it a fake or an emulator-pointed client.

/** A volume as the storage system's API returns it. */
export interface RemoteVolume {
  /** The storage system's id of the volume; the driver uses it as `blockDeviceId`. */
  readonly id: string;
  /** TODO(driver-author): many APIs count GiB; convert at this boundary, never inside the driver. */
  readonly sizeBytes: number;
  /** Key/value labels kept with the volume: where the driver records the cluster and the dataset. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Instance id of the host the volume is attached to, or `null`. */
  readonly attachedTo: string | null;
  /** What identifies the volume's disk on the host it is attached to (a serial number, a WWN). */
  readonly serial: string;
}

export interface CreateVolumeRequest {
  readonly sizeBytes: number;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The calls the driver makes to the storage system. Implementations translate the system's errors into core
 * error codes (`UNKNOWN_VOLUME`, `ALREADY_ATTACHED`, `UNATTACHED`; anything else `BACKEND` with the original as
 * `cause`), so the driver never sees a vendor error.
 *
 * TODO(driver-author): write the real implementation over your system's SDK or REST API, with every request
 * bounded by a timeout, and make it in {@link __DriverName__Driver.open} where the in-memory stand-in is made.
 */
export interface __DriverName__Client {
  createVolume(request: CreateVolumeRequest): Promise<RemoteVolume>;
  /** @throws `UNKNOWN_VOLUME` when the storage system has no such volume. */
  getVolume(id: string): Promise<RemoteVolume>;
  /** Every volume whose metadata holds all of `metadata`'s pairs, however many pages the listing takes. */
  listVolumes(metadata: Readonly<Record<string, string>>): Promise<readonly RemoteVolume[]>;
  /** @throws `UNKNOWN_VOLUME`; `ALREADY_ATTACHED` when the volume is attached. */
  deleteVolume(id: string): Promise<void>;
  /**
   * Attaches the volume to the host `instanceId`; on return the storage system reports it attached there.
   * @throws `UNKNOWN_VOLUME`; `ALREADY_ATTACHED`.
   */
  attachVolume(id: string, instanceId: string): Promise<RemoteVolume>;
  /** Detaches the volume; on return its disk is gone from the host. @throws `UNKNOWN_VOLUME`; `UNATTACHED`. */
  detachVolume(id: string): Promise<RemoteVolume>;
}
