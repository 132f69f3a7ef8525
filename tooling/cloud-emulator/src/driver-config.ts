import type { CloudEmulator, EmulatedInstance } from './cloud-emulator.js';
import type { EmulatedServer, OpenStackEmulator } from './openstack/openstack-emulator.js';

/** Credentials the EC2 emulator accepts (it does not verify signatures); never real ones. */
export const EC2_EMULATOR_CREDENTIALS = {
  access_key_id: 'AKIAEMULATOR00000000',
  secret_access_key: 'emulator-secret-key',
} as const;

/**
 * The agent.yml `dataset` keys (before the driver parses them) that point the EBS driver at one emulated
 * instance: what an operator of that node would write.
 */
export function ec2DatasetKeys(
  emulator: CloudEmulator,
  instance: EmulatedInstance,
): {
  region: string;
  endpoint: string;
  imds_endpoint: string;
  device_root: string;
  access_key_id: string;
  secret_access_key: string;
} {
  return {
    region: emulator.region,
    endpoint: emulator.url,
    imds_endpoint: instance.imdsUrl,
    device_root: instance.deviceRoot,
    ...EC2_EMULATOR_CREDENTIALS,
  };
}

/** The same for the Cinder driver and one emulated server, as the emulator's default user `demo`. */
export function openstackDatasetKeys(
  emulator: OpenStackEmulator,
  server: EmulatedServer,
): {
  region: string;
  auth_url: string;
  username: string;
  password: string;
  project_name: string;
  metadata_url: string;
  device_root: string;
  instance_id_sources: string[];
} {
  return {
    region: emulator.region,
    auth_url: emulator.authUrl,
    username: 'demo',
    password: 'secret',
    project_name: 'demo',
    metadata_url: server.metadataUrl,
    device_root: server.deviceRoot,
    instance_id_sources: ['metadata-service'],
  };
}
