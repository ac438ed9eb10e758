#!/usr/bin/env bash
# `vigie scan --cluster` on a generated cluster: the API server stand-in
# (crates/api-standin) serves a corpus-gen corpus, and vigie reads it over HTTP,
# page by page, as it reads a real cluster.
#
#   bench/cluster.sh [OBJECTS]      (default: 100000)
#
# Prints, for the cluster scan and for the file scan of the same directory: the
# mean wall time of 3 runs (hyperfine) and the peak resident memory (GNU time),
# plus the pages the stand-in served. Goal at 100,000 objects: under 10 s and
# 500 MB. CLUSTER_ARGS adds arguments to both scans (default: -f all -o json).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
args=${CLUSTER_ARGS:--f all -o json --pss-version latest}
if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq hyperfine time >/dev/null
fi
. bench/cluster-corpus.sh
kubeconfig="$out/standin.kubeconfig"
rm -f "$kubeconfig"
"$release"/api-standin --kubeconfig "$kubeconfig" "$dir" > "$out/standin.url" &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT
while [ ! -s "$kubeconfig" ]; do sleep 0.2; done

measure() {
  local name=$1; shift
  hyperfine --warmup 1 --runs 3 -i --export-json "$out/cluster-$name.json" "$*" >/dev/null
  mean=$(python3 -c "import json; print('%.2f' % json.load(open('$out/cluster-$name.json'))['results'][0]['mean'])")
  /usr/bin/time -f '%M' -o "$out/cluster-peak-$name.txt" "$@" >/dev/null 2>&1 || true
  peak=$(( $(tail -n 1 "$out/cluster-peak-$name.txt") / 1024 ))
  echo "$name: $n objects, $mean s (mean of 3), peak $peak MiB"
}
measure cluster "$release"/vigie scan --cluster --kubeconfig "$kubeconfig" $args
measure files "$release"/vigie scan "$dir" $args
