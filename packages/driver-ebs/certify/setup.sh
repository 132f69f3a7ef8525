#!/usr/bin/env bash
# Nightly certification set-up for @flockerjs/driver-ebs (see .github/workflows/nightly.yml).
# FLOCKER_CERTIFY_TARGET=cloud: real AWS with the job's credentials, this instance only (acceptance needs a
# second instance, so it is reported skipped). Otherwise: the EC2 emulator with two instances.
set -euo pipefail
: "${FLOCKER_CERTIFY_CONFIG:?the agent.yml to write}"
if [ "${FLOCKER_CERTIFY_TARGET:-emulator}" = cloud ]; then
  mkdir -p "$(dirname "$FLOCKER_CERTIFY_CONFIG")"
  printf 'version: 1\ncontrol-service:\n  hostname: localhost\ndataset:\n  backend: aws\n  region: %s\n' \
    "${AWS_REGION:-us-east-1}" > "$FLOCKER_CERTIFY_CONFIG"
  exit 0
fi
exec bash "$(dirname "$0")/../../../tooling/cloud-emulator/certify-setup.sh" aws
