#!/usr/bin/env bash
# Per-resource costs of `policy_bench` that do not depend on the machine's
# load (other builds on the same cores move wall-clock latency, not these):
# instructions, simulated cache misses and heap allocations, counted by
# callgrind with its cache simulation.
#
# For each policy set (the pattern `pod-security/` and the CEL
# `pod-security-cel/` folders), runs the release example under
# `valgrind --tool=callgrind --cache-sim=yes` with LOW and HIGH workloads,
# counting only inside `evaluate_resource` (all policies on one resource,
# context built and dropped included; `--toggle-collect`), and prints each
# figure as (figure(HIGH) - figure(LOW)) / (HIGH - LOW): loading and
# compiling the policies and generating the workloads are not counted, and
# what the first evaluations compute once (cached cost bounds, constant
# variables) cancels out. The figures:
#
# - instructions: instructions executed (callgrind's Ir);
# - I1 misses: first-level instruction cache misses;
# - D1 misses: first-level data cache misses, reads and writes;
# - LL misses: last-level cache misses, instructions and data (the cache
#   sizes are the host's, as valgrind detects them);
# - allocations: entries into the allocator (mimalloc's `mi_malloc_aligned`
#   and `mi_zalloc_aligned`, which every Rust allocation reaches), and
#   reallocations (`mi_realloc_aligned`) apart, counted as the executions
#   of each function's first instruction (`callgrind_entries.awk`);
# - frees: entries into `mi_free` (a reallocation that moves its block
#   frees the old one through it too).
#
# The callgrind outputs stay in OUT (default /tmp/vigie-instructions) for
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
figures="instructions I1-misses D1-misses LL-misses allocations reallocations frees"
# name=address of each allocator function, for callgrind_entries.awk.
entries=""
for f in mi_malloc_aligned mi_zalloc_aligned mi_realloc_aligned mi_free; do
  entries+="$f=0x$(nm "$bin" | awk -v f="$f" '$2 == "T" && $3 == f {print $1}') "
done
count() { # set, workloads, policy dir -> the figures, in the order above
  local file="$out/$1-$2.out"
  valgrind --tool=callgrind --cache-sim=yes --dump-instr=yes \
    --toggle-collect=policy_bench::evaluate_resource \
    --callgrind-out-file="$file" "$bin" "$corpus/$3" "$2" >"$out/$1-$2.txt" 2>/dev/null
  # events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
  grep -m1 '^summary:' "$file" | awk '{printf "%d %d %d %d ", $2, $5, $6 + $7, $8 + $9 + $10}'
  awk -v entries="$entries" -f bench/policy/callgrind_entries.awk "$file" |
    awk '{print $1 + $2, $3, $4}'
}
declare -A instructions
for set in pattern:pod-security cel:pod-security-cel; do
  name=${set%%:*}
  dir=${set#*:}
  read -r -a a <<<"$(count "$name" "$low" "$dir")"
  read -r -a b <<<"$(count "$name" "$high" "$dir")"
  # No rule result: the policies were not found, and nothing was measured.
  if grep -q 'rule results: 0 ' "$out/$name-$high.txt"; then
    echo "no rule results for $corpus/$dir" >&2
    exit 2
  fi
  echo "$name ($dir), per resource ($high minus $low workloads):"
  i=0
  for f in $figures; do
    printf '  %-14s %9d\n' "$f" $(( (b[i] - a[i]) / (high - low) ))
    i=$((i + 1))
  done
  instructions[$name]=$(( (b[0] - a[0]) / (high - low) ))
  grep 'rule results' "$out/$name-$high.txt"
done
awk -v c="${instructions[cel]}" -v p="${instructions[pattern]}" 'BEGIN {printf "CEL / pattern instructions: %.3f\n", c / p}'
