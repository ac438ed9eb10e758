#!/usr/bin/env bash
# vigie against Checkov, same files, same run.
#
#   bench/compare-checkov.sh [OBJECTS]        (default: 10000)
#
# Generates a deterministic corpus of mixed objects (workloads, RBAC, Services,
# ConfigMaps, NetworkPolicies, Secrets), then times `vigie scan --framework all`
# (hyperfine, 5 runs) and `checkov -d DIR --framework kubernetes` (one run: it is
# slow) and prints wall time, peak memory and the ratio. Checkov is installed from
# PyPI into bench/out/checkov-venv when missing. Also times vigie alone on 100,000
# objects.
set -euo pipefail
cd "$(dirname "$0")/.."
# Where cargo puts release binaries: CARGO_TARGET_DIR when set, as cargo reads it.
release=${CARGO_TARGET_DIR:-target}/release
n=${1:-10000}
out=bench/out
mkdir -p "$out"
if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq hyperfine time >/dev/null
fi
venv="$out/checkov-venv"
if [ ! -x "$venv/bin/checkov" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkov
fi
cargo build --release --locked -q -p vigie-cli -p corpus-gen

measure() { # name, command... -> prints "seconds peak_kib"
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/time-$name.txt" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$out/time-$name.txt"
}

for size in "$n" 100000; do
  dir="$out/corpus-$size"
  [ -d "$dir" ] || $release/corpus-gen "$size" $(( size / 100 )) "$dir"
done

# vigie first, both sizes, while nothing else runs; Checkov last (it takes
# half an hour on 10,000 objects, on one core).
dir="$out/corpus-$n"
vigie="$release/vigie scan $dir --framework all -o json --output /dev/null"
hyperfine --warmup 1 --runs 5 -i --export-json "$out/vigie-$n.json" "$vigie" >/dev/null
vigie_mean=$(python3 -c "import json; print(json.load(open('$out/vigie-$n.json'))['results'][0]['mean'])")
read -r _ vigie_peak < <(measure vigie-$n $vigie)

big="$out/corpus-100000"
hyperfine --warmup 1 --runs 5 -i --export-json "$out/vigie-100000.json" "$release/vigie scan $big --framework all -o json --output /dev/null" >/dev/null
big_mean=$(python3 -c "import json; print(json.load(open('$out/vigie-100000.json'))['results'][0]['mean'])")
read -r _ big_peak < <(measure vigie-100000 $release/vigie scan "$big" --framework all -o json --output /dev/null)

read -r checkov_secs checkov_peak < <(measure checkov-$n "$venv/bin/checkov" -d "$dir" --framework kubernetes --quiet --compact -o json --skip-download)

python3 - "$n" "$vigie_mean" "$vigie_peak" "$checkov_secs" "$checkov_peak" "$big_mean" "$big_peak" <<'PY'
import sys
n, vm, vp, cs, cp, bm, bp = sys.argv[1:]
n, vm, vp, cs, cp, bm, bp = int(n), float(vm), int(vp), float(cs), int(cp), float(bm), int(bp)
print(f"{'tool':<28}{'objects':>9}{'wall s':>10}{'peak MiB':>10}")
print(f"{'vigie scan --framework all':<28}{n:>9}{vm:>10.3f}{vp/1024:>10.0f}")
print(f"{'checkov --framework k8s':<28}{n:>9}{cs:>10.2f}{cp/1024:>10.0f}")
print(f"{'vigie scan --framework all':<28}{100000:>9}{bm:>10.3f}{bp/1024:>10.0f}")
print(f"vigie is {cs/vm:.0f}x faster than Checkov on {n} objects, with {cp/vp:.0f}x less memory")
PY
