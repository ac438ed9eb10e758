#!/usr/bin/env bash
# Whole-process benchmark of `vigie scan` on generated corpora.
#
#   bench/scan.sh [OBJECTS...]      (default: 10000 100000)
#
# For each size it generates a deterministic corpus of mixed objects (corpus-gen),
# times `vigie scan` with hyperfine (installed from Debian if missing), measures
# peak memory with GNU time, and prints objects per second.
#
# Shapes: SCAN_SHAPE=documents, list, json-list or one-line-json puts all the objects
# in one file, as separate documents or as one List (`kubectl get -o yaml`, `-o json`,
# `-o json | jq -c`); SCAN_PODS=1 generates Pods only; SCAN_ARGS adds arguments to
# `vigie scan` (say --max-file-bytes for a List over 1 GiB).
#   SCAN_SHAPE=list SCAN_PODS=1 bench/scan.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)

if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq hyperfine time >/dev/null
fi
cargo build --release --locked -q -p vigie-cli -p corpus-gen
out=bench/out
mkdir -p "$out"

# All the objects in one file, shaped as SCAN_SHAPE says.
generate_shaped() {
  ./target/release/corpus-gen "--$SCAN_SHAPE" ${SCAN_PODS:+--pods} "$1" 1 "$2"
}

for n in "${sizes[@]}"; do
  dir="$out/corpus-$n"
  if [ -n "${SCAN_SHAPE:-}" ]; then
    dir="$out/corpus-$n-$SCAN_SHAPE${SCAN_PODS:+-pods}"
    [ -d "$dir" ] || generate_shaped "$n" "$dir"
  fi
  [ -d "$dir" ] || ./target/release/corpus-gen "$n" $(( n / 100 > 0 ? n / 100 : 1 )) "$dir"
  size=$(du -sh "$dir" | cut -f1)
  echo "== $n objects ($size) in $dir"
  cmd="./target/release/vigie scan $dir -o json --output /dev/null --severity-threshold critical ${SCAN_ARGS:-}"
  hyperfine --warmup 1 --runs 5 -i --export-json "$out/scan-$n.json" "$cmd" >/dev/null
  mean=$(python3 -c "import json,sys; print(json.load(open('$out/scan-$n.json'))['results'][0]['mean'])")
  # Peak resident set size in KiB; vigie exits 1 on findings, which is expected here.
  /usr/bin/time -f '%M' -o "$out/peak-$n.txt" $cmd >/dev/null 2>&1 || true
  peak=$(tail -n 1 "$out/peak-$n.txt")
  python3 - "$n" "$mean" "$peak" <<'PY'
import sys
n, mean, peak_kb = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"vigie scan: {n} objects in {mean:.3f} s (mean of 5) = {n/mean:,.0f} objects/s; peak memory {peak_kb/1024:.0f} MiB")
PY
done
