#!/usr/bin/env bash
# `vigie scan --cluster --watch` on a generated cluster served by the API server
# stand-in (crates/api-standin, with the policy report types).
#
#   bench/watch.sh [OBJECTS]      (default: 100000)
#
# Prints: the time from start to the end of the first scan (lists, copy, scan,
# reports), the duration of that scan and of the scan after one change (a new
# privileged Pod), as vigie_scan_duration_seconds reports them (evaluation of
# the whole copy plus report writing), the scanner's peak resident memory
# (VmHWM), and the objects in the copy. WATCH_ARGS adds arguments to the scan.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
args=${WATCH_ARGS:-}
. bench/cluster-corpus.sh
kubeconfig="$out/watch.kubeconfig"
rm -f "$kubeconfig" "$out/watch.err"
"$release"/api-standin --report-types --kubeconfig "$kubeconfig" "$dir" > "$out/watch-standin.url" &
standin=$!
scanner=""
trap 'kill $standin ${scanner:-} 2>/dev/null || true' EXIT
while [ ! -s "$kubeconfig" ]; do sleep 0.2; done
server=$(head -n 1 "$out/watch-standin.url")
start=$(date +%s.%N)
"$release"/vigie scan --cluster --watch --kubeconfig "$kubeconfig" --metrics-listen 127.0.0.1:0 $args 2> "$out/watch.err" &
scanner=$!
metrics() { curl -s "http://$address/metrics"; }
until grep -q "metrics on" "$out/watch.err" 2>/dev/null; do sleep 0.1; done
address=$(sed -n 's|.*metrics on http://\(.*\)/metrics|\1|p' "$out/watch.err" | head -n 1)
until metrics | grep -q '^vigie_scans_total 1$'; do sleep 0.2; done
first=$(python3 -c "print('%.2f' % ($(date +%s.%N) - $start))")
first_scan=$(metrics | sed -n 's/^vigie_scan_duration_seconds //p')
objects=$(metrics | awk '/^vigie_inventory_objects\{/ {s += $2} END {print s}')
curl -s -X POST -H 'Content-Type: application/json' "$server/api/v1/namespaces/default/pods" \
  -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bench-root"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}' > /dev/null
until metrics | grep -q '^vigie_scans_total 2$'; do sleep 0.2; done
second_scan=$(metrics | sed -n 's/^vigie_scan_duration_seconds //p')
peak=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$scanner/status")
echo "watch: $objects objects in the copy; first scan done $first s after start (scan $first_scan s); scan after one change $second_scan s; peak $peak MiB"
grep "^vigie scan: cluster" "$out/watch.err" | tail -n 2
