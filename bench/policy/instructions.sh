#!/usr/bin/env bash
# Instructions per resource of `policy_bench`, counted by callgrind: figures
# that do not depend on the machine's load (other builds on the same cores
# move wall-clock latency, not instruction counts).
#
# For each policy set (the pattern `pod-security/` and the CEL
# `pod-security-cel/` folders), runs the release example under
# `valgrind --tool=callgrind` with LOW and HIGH workloads, counting only
# inside `evaluate_resource` (all policies on one resource, context built
# and dropped included; `--toggle-collect`), and prints
# (instructions(HIGH) - instructions(LOW)) / (HIGH - LOW): loading and
# compiling the policies and generating the workloads are not counted, and
# what the first evaluations compute once (cached cost bounds, constant
# variables) cancels out. The
# callgrind outputs stay in OUT (default /tmp/vigie-instructions) for
# `callgrind_annotate --inclusive=yes OUT/cel-HIGH.out`.
#
# bench/policy/instructions.sh [LOW] [HIGH]   (default 500 and 1500)
# CORPUS=/path/to/kyverno-policies when run from a worktree that has no
# ../shared beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
low=${1:-500}
high=${2:-1500}
out=${OUT:-/tmp/vigie-instructions}
corpus=${CORPUS:-../shared/corpora/kyverno-policies}
mkdir -p "$out"
cargo build --release --locked -q -p vigie-policy --example policy_bench
bin=${CARGO_TARGET_DIR:-target}/release/examples/policy_bench
count() { # set, workloads -> total instructions
  local file="$out/$1-$2.out"
  valgrind --tool=callgrind --toggle-collect=policy_bench::evaluate_resource --callgrind-out-file="$file" "$bin" "$corpus/$3" "$2" >"$out/$1-$2.txt" 2>/dev/null
  grep -m1 '^summary:' "$file" | awk '{print $2}'
}
declare -A per
for set in pattern:pod-security cel:pod-security-cel; do
  name=${set%%:*}
  dir=${set#*:}
  a=$(count "$name" "$low" "$dir")
  b=$(count "$name" "$high" "$dir")
  per[$name]=$(( (b - a) / (high - low) ))
  echo "$name ($dir): $a instructions at $low workloads, $b at $high: ${per[$name]} per resource"
  grep 'rule results' "$out/$name-$high.txt"
  # No rule result: the policies were not found, and nothing was measured.
  if grep -q 'rule results: 0 ' "$out/$name-$high.txt"; then
    echo "no rule results for $corpus/$dir" >&2
    exit 2
  fi
done
awk -v c="${per[cel]}" -v p="${per[pattern]}" 'BEGIN {printf "CEL / pattern: %.3f\n", c / p}'
