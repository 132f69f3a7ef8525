import { describeEmulatedConformance } from './emulated-openstack.js';

// Real pkgcloud over HTTP to the emulator's Keystone, Cinder and Nova; real loop devices behind virtio links.
describeEmulatedConformance('openstack (emulated)');
