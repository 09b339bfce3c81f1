#!/usr/bin/env bash
# Runs `npm test` N times with every core kept busy by another process, and
# says how many passed: the check that no test stands on timing.
# Usage: scripts/test-under-load.sh [runs (default 10)] [log folder]
# Run it in a clone of its own: the runs take turns with nothing else.
set -uo pipefail
runs="${1:-10}"
logs="${2:-$(mktemp -d)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cores="$(nproc)"
mkdir -p "$logs"
passed=0
for i in $(seq 1 "$runs"); do
  busy=()
  for _ in $(seq 1 "$cores"); do
    node -e "const end = Date.now() + 1_800_000; while (Date.now() < end) {}" &
    busy+=($!)
  done
  started=$(date +%s)
  if (cd "$root" && timeout 1800 npm test >"$logs/run$i.log" 2>&1); then
    passed=$((passed + 1))
    echo "run $i: passed in $(($(date +%s) - started)) s"
  else
    echo "run $i: FAILED in $(($(date +%s) - started)) s"
    grep -E "Failed:|FAIL " "$logs/run$i.log" | head -20
  fi
  kill "${busy[@]}" 2>/dev/null
  wait "${busy[@]}" 2>/dev/null
done
echo "$passed of $runs runs passed under load (logs in $logs)"
[ "$passed" -eq "$runs" ]
