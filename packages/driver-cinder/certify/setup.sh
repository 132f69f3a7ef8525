#!/usr/bin/env bash
# Nightly certification set-up for @flockerjs/driver-cinder (see .github/workflows/nightly.yml): the OpenStack
# emulator with two servers. The real services of tooling/openstack-real run Nova's fake virt driver, which
# attaches no device, so the device-level suite cannot certify there; `pnpm --filter @flockerjs/driver-cinder
# test:openstack-real` checks the driver against them instead.
set -euo pipefail
exec bash "$(dirname "$0")/../../../tooling/cloud-emulator/certify-setup.sh" openstack
