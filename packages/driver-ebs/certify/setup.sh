#!/usr/bin/env bash
# Nightly certification set-up for @flockerjs/driver-ebs (see .github/workflows/nightly.yml).
# FLOCKER_CERTIFY_TARGET=cloud: real AWS with the job's credentials; this node only, so acceptance is skipped.
# FLOCKER_CERTIFY_TARGET=emulator: the EC2 emulator with two instances, left running for the job; node B's
# agent.yml goes next to FLOCKER_CERTIFY_CONFIG as peer.yml, for flocker-certify --peer-config.
set -euo pipefail
: "${FLOCKER_CERTIFY_CONFIG:?the agent.yml to write}"
target=${FLOCKER_CERTIFY_TARGET:-emulator}
dir=$(dirname "$FLOCKER_CERTIFY_CONFIG")
root=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$dir"

if [ "$target" = cloud ]; then
  cat > "$FLOCKER_CERTIFY_CONFIG" <<YAML
version: 1
control-service:
  hostname: localhost
dataset:
  backend: aws
  region: ${AWS_REGION:-us-east-1}
YAML
  exit 0
fi

emulated="$dir/emulator"
rm -rf "$emulated"
cd "$root"
setsid nohup pnpm --filter @flockerjs/cloud-emulator start -- --instances 2 --agent-yml-dir "$emulated" \
  > "$dir/emulator.log" 2>&1 &
echo $! > "$dir/emulator.pid"
for _ in $(seq 1 120); do
  [ -f "$emulated/agent-b.yml" ] && break
  sleep 0.5
done
[ -f "$emulated/agent-b.yml" ] || { cat "$dir/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
cp "$emulated/agent-a.yml" "$FLOCKER_CERTIFY_CONFIG"
cp "$emulated/agent-b.yml" "$dir/peer.yml"
