#!/usr/bin/env bash
# bench/emulator.sh: throughput of the Kibana emulator with wrk.
# The emulator's single nginx worker is pinned to CPU 0, wrk to CPU 1.
#   1. GET /api/actions/connectors (CONNECTORS connectors in the default space; with
#      OBJECTS > 0 that many dashboards exist first, each referencing one connector,
#      so referenced_by_count has work to do)
#   2. POST /api/saved_objects/dashboard (saved-object create; bench/emulator_so_create.lua)
# Env: DURATION (10s), CONNS (32), CONNECTORS (10), OBJECTS (0), WRK_THREADS (1).
# Figures are recorded in bench/README.md, section "Emulator".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
CONNECTORS=${CONNECTORS:-10}
OBJECTS=${OBJECTS:-0}
WRK_THREADS=${WRK_THREADS:-1}
AUTH="Basic $(printf 'elastic:changeme' | base64)"

for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "bench/emulator.sh: $tool is required" >&2; exit 1; }
done
cpus=$(nproc)
(( cpus >= 2 )) || echo "bench/emulator.sh: only $cpus CPU; wrk and nginx will share it" >&2

dir=$(mktemp -d)
stop() {
  emulator/kibana-emulator --stop --dir "$dir/state" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

taskset -c 0 emulator/kibana-emulator --daemon --port 0 --dir "$dir/state" >"$dir/out"
url=$(sed -n 's/^ready //p' "$dir/out")
echo "emulator: $url (worker pinned to CPU 0; wrk on CPU 1)"

for i in $(seq 1 "$CONNECTORS"); do
  curl -fsS -o /dev/null -H "Authorization: $AUTH" -H 'kbn-xsrf: bench' -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench $i\",\"connector_type_id\":\".index\",\"config\":{\"index\":\"bench-$i\"}}" \
    "$url/api/actions/connector/bench-$i"
done
# OBJECTS dashboards, 500 per _bulk_create, dashboard n referencing connector bench-(n mod CONNECTORS + 1)
n=0
while (( n < OBJECTS && CONNECTORS > 0 )); do
  batch=""
  for (( k = 0; k < 500 && n < OBJECTS; k++, n++ )); do
    c=$(( n % CONNECTORS + 1 ))
    batch+="${batch:+,}{\"type\":\"dashboard\",\"attributes\":{\"title\":\"d$n\"},"
    batch+="\"references\":[{\"type\":\"action\",\"id\":\"bench-$c\",\"name\":\"a\"}]}"
  done
  curl -fsS -o /dev/null -H "Authorization: $AUTH" -H 'kbn-xsrf: bench' -H 'Content-Type: application/json' \
    -d "[$batch]" "$url/api/saved_objects/_bulk_create"
done
curl -fsS -o /dev/null -X DELETE "$url/_emulator/requests"

echo
echo "== GET /api/actions/connectors ($CONNECTORS connectors + 1 preconfigured, $OBJECTS referencing dashboards)"
taskset -c 1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: $AUTH" \
  "$url/api/actions/connectors"

echo
echo "== POST /api/saved_objects/dashboard (saved-object create)"
taskset -c 1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/emulator_so_create.lua "$url"
