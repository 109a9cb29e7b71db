#!/usr/bin/env bash
# Sets everything up, builds, starts penchantd on the default instance (if
# it is not running yet) and feeds it the built-in demo: a catalog of
# activities and a month of synthetic behavior of 1000 users.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null
PENCHANT=build/tools/penchant
state_dir=${PENCHANT_STATE_DIR:-/var/lib/penchant}
mkdir -p "$state_dir"

if $PENCHANT status >/dev/null 2>&1; then
  echo "penchantd is already running on instance 'default'"
else
  nohup build/workers/penchantd --state-dir "$state_dir" \
    >>"$state_dir/penchantd.log" 2>&1 &
  echo "started penchantd (pid $!), log: $state_dir/penchantd.log"
  for _ in $(seq 50); do
    $PENCHANT status >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

$PENCHANT demo
echo
$PENCHANT segments --refresh | head -n 12
echo
$PENCHANT experiments
echo
$PENCHANT profile demo-user-3
echo
$PENCHANT status
pid=$(head -n1 "/dev/shm/penchant-run-$(id -u)/default.lock" 2>/dev/null || echo '?')
cat <<MSG

penchantd keeps running (supervisor pid $pid). Try next:
  open http://127.0.0.1:8787/                # the dashboard (Prometheus metrics: /metrics)
  $PENCHANT profile demo-user-42 --json     # any of demo-user-0..999
  echo '{"user_id":"me","event_type":"rsvp","entity_id":"jazz-night","timestamp":"$(date -u +%Y-%m-%dT%H:%M:%SZ)"}' | $PENCHANT send
  $PENCHANT profile me
  /usr/bin/python3 -c 'import msgpack,socket,time; socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(msgpack.packb({"userId":"me","eventType":"save","entityId":"kayak-tour","timestamp":int(time.time()*1000)}),("127.0.0.1",7878))'
                                             # msgpack over UDP 7878 (TCP 7878, Fluentd forward 24224)
  curl -s localhost:8787/v1/rank -d '{"user_id":"demo-user-3","candidates":[{"entity_id":"jazz-night","score":1},{"entity_id":"kayak-tour","score":1}]}'
                                             # the rank API (docs/API.md; msgpack on TCP 8788)
  curl -s localhost:8787/v1/profile/demo-user-3
  $PENCHANT catalog load my-catalog.jsonl    # your own entities (see README)
  kill -9 <a worker pid from status>         # it is restarted; nothing is lost
  kill $pid                                  # drains, snapshots to $state_dir, stops
MSG
