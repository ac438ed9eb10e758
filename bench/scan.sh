#!/usr/bin/env bash
# Whole-process benchmark of `vigie scan` on generated corpora.
#
#   bench/scan.sh [OBJECTS...]      (default: 10000 100000)
#
# For each size it generates a deterministic corpus of mixed objects (corpus-gen),
# times `vigie scan` with hyperfine (installed from Debian if missing), measures
# peak memory with GNU time, and prints objects per second. Then it does the same
# with every framework (`--framework all`) on 100,000 objects in one namespace
# (`corpus-gen --one-namespace`: 40,000 workloads, 5,000 Services and 500
# NetworkPolicies with set-based selectors), the worst realistic case of the
# cross-object controls; it should take under 3 s, like the spread-out corpus.
#
# Shapes: SCAN_SHAPE=documents, list, json-list or one-line-json puts all the objects
# in one file, as separate documents or as one List (`kubectl get -o yaml`, `-o json`,
# `-o json | jq -c`); SCAN_PODS=1 generates Pods only; SCAN_ARGS adds arguments to
# `vigie scan` (say --max-file-bytes for a List over 1 GiB). With SCAN_SHAPE set, the
# one-namespace run is left out.
#   SCAN_SHAPE=list SCAN_PODS=1 bench/scan.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
# Where cargo puts release binaries: CARGO_TARGET_DIR when set, as cargo reads it.
release=${CARGO_TARGET_DIR:-target}/release
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)

if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq hyperfine time >/dev/null
fi
cargo build --release --locked -q -p vigie-cli -p corpus-gen
out=bench/out
mkdir -p "$out"

# name, objects, command...: times the command and prints a line.
measure() {
  local name=$1 n=$2; shift 2
  hyperfine --warmup 1 --runs 5 -i --export-json "$out/scan-$name.json" "$*" >/dev/null
  mean=$(python3 -c "import json,sys; print(json.load(open('$out/scan-$name.json'))['results'][0]['mean'])")
  # Peak resident set size in KiB; vigie exits 1 on findings, which is expected here.
  /usr/bin/time -f '%M' -o "$out/peak-$name.txt" "$@" >/dev/null 2>&1 || true
  peak=$(tail -n 1 "$out/peak-$name.txt")
  python3 - "$name" "$n" "$mean" "$peak" <<'PY'
import sys
name, n, mean, peak_kb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"vigie scan ({name}): {n} objects in {mean:.3f} s (mean of 5) = {n/mean:,.0f} objects/s; peak memory {peak_kb/1024:.0f} MiB")
PY
}

# All the objects in one file, shaped as SCAN_SHAPE says.
generate_shaped() {
  $release/corpus-gen "--$SCAN_SHAPE" ${SCAN_PODS:+--pods} "$1" 1 "$2"
}

for n in "${sizes[@]}"; do
  dir="$out/corpus-$n"
  if [ -n "${SCAN_SHAPE:-}" ]; then
    dir="$out/corpus-$n-$SCAN_SHAPE${SCAN_PODS:+-pods}"
    [ -d "$dir" ] || generate_shaped "$n" "$dir"
  fi
  [ -d "$dir" ] || $release/corpus-gen "$n" $(( n / 100 > 0 ? n / 100 : 1 )) "$dir"
  echo "== $n objects ($(du -sh "$dir" | cut -f1)) in $dir"
  # SCAN_ARGS is split into words on purpose.
  # shellcheck disable=SC2086
  measure "$n${SCAN_SHAPE:+-$SCAN_SHAPE}" "$n" $release/vigie scan "$dir" -o json --output /dev/null --severity-threshold critical ${SCAN_ARGS:-}
done
[ -z "${SCAN_SHAPE:-}" ] || exit 0

n=100000
dir="$out/corpus-one-namespace-$n"
[ -d "$dir" ] || $release/corpus-gen --one-namespace "$n" $(( n / 100 )) "$dir"
echo "== $n objects in one namespace ($(du -sh "$dir" | cut -f1)) in $dir, every framework"
measure "one-namespace-$n" "$n" $release/vigie scan "$dir" --framework all -o json --output /dev/null
