#!/usr/bin/env bash
# Nightly certification set-up on the emulator (see .github/workflows/nightly.yml), for a driver's own
# certify/setup.sh to call with its cloud: `certify-setup.sh aws|openstack`.
# Starts the emulator with two nodes and leaves it running for the job; writes node A's agent.yml to
# FLOCKER_CERTIFY_CONFIG and node B's next to it as peer.yml, for flocker-certify --peer-config.
set -euo pipefail
cloud=${1:?aws or openstack}
: "${FLOCKER_CERTIFY_CONFIG:?the agent.yml to write}"
dir=$(dirname "$FLOCKER_CERTIFY_CONFIG")
root=$(cd "$(dirname "$0")/../.." && pwd)
emulated="$dir/emulator"
mkdir -p "$dir"
rm -rf "$emulated"
cd "$root"
setsid nohup pnpm --filter @flockerjs/cloud-emulator start -- --cloud "$cloud" --instances 2 \
  --agent-yml-dir "$emulated" > "$dir/emulator.log" 2>&1 &
echo $! > "$dir/emulator.pid"
for _ in $(seq 1 120); do
  [ -f "$emulated/agent-b.yml" ] && break
  sleep 0.5
done
[ -f "$emulated/agent-b.yml" ] || { cat "$dir/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
cp "$emulated/agent-a.yml" "$FLOCKER_CERTIFY_CONFIG"
cp "$emulated/agent-b.yml" "$dir/peer.yml"
echo "emulator ($cloud) running, pid $(cat "$dir/emulator.pid"); agent.yml and peer.yml in $dir"
