#!/usr/bin/env bash
# The live sensor's throughput and overhead (see docs/sensor.md for figures).
#
#   bench/sensor/run.sh [ITERATIONS]     (root: the sensor loads eBPF programs)
#
# loadgen (bench/sensor/loadgen.c) runs a syscall mix pinned to CPU 0; the
# consumer (crates/vigie-sensor/examples/sensor_bench.rs) runs pinned to CPU 1,
# decodes every event and keeps the process/fd state (and evaluates rules when
# RULES="a.yaml b.yaml" is set). Scenarios:
#   baseline  no sensor: the load's ns per syscall
#   all       every syscall the sensor encodes copied out (5 of the 6 syscalls of the mix)
#   state     what the state tables need only (openat, close): the kernel filter drops the rest
#   fixed     none of the load's syscalls watched (execve only): the cost every
#             syscall pays for the attached sys_exit program
# For each: events delivered, kernel drops, the consumer's CPU time (utime+stime from
# /proc/PID/stat) and what that makes per CPU second (the events/s one core sustains),
# events per second of the load's CPU time, and the load's CPU ns per syscall and
# overhead. CPU times, not wall times: on a shared machine the wall clock mostly
# measures the other processes.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/sensor/run.sh: needs root (loading eBPF programs)" >&2
  exit 1
fi
iters=${1:-1000000}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p vigie-sensor --example sensor_bench
bench="$target/release/examples/sensor_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/loadgen" bench/sensor/loadgen.c
# 100 bytes: the first read gets 64, the second 36.
head -c 100 /dev/zero >"$work/data"

rule_args=()
for r in ${RULES:-}; do rule_args+=(-r "$r"); done

load() { taskset -c 0 "$work/loadgen" "$iters" "$work/data"; }

base=$(load)
base_ns=$(awk '{print $6}' <<<"$base")
echo "baseline: $base"

run() {
  local name=$1
  shift
  taskset -c 1 "$bench" "$@" >"$work/out" 2>"$work/err" &
  local pid=$!
  for _ in $(seq 100); do
    grep -q '^ready' "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.1
  done
  local l
  l=$(load)
  sleep 0.2
  kill -INT "$pid"
  wait "$pid"
  local figures
  figures=$(grep '^events' "$work/out")
  awk -v name="$name" -v base="$base_ns" -v ld="$l" -v fig="$figures" 'BEGIN {
    split(ld, L, " "); n = split(fig, F, " ");
    for (i = 1; i < n; i += 2) v[F[i]] = F[i + 1];
    secs = L[4] / 1e9;
    cpu = v["cpu_s"] > 0 ? v["cpu_s"] : 0.001;
    printf "%-6s events %d, dropped %d, too_big %d, undecodable %d, matches %d; consumer %.2f cpu s = %.0f events per cpu s; %.0f events per load cpu s; load %.1f ns/syscall (+%.1f%%)\n",
      name, v["events"], v["dropped"], v["too_big"], v["undecodable"], v["matches"], v["cpu_s"], v["events"] / cpu, v["events"] / secs, L[6], (L[6] / base - 1) * 100 }'
}

run all "${rule_args[@]}" --syscalls read,write,open,openat,close,socket,connect,chmod,fchmod,fchmodat,memfd_create,execve,execveat,clone,fork,vfork,clone3,openat2
run state "${rule_args[@]}" --syscalls execve
run fixed --only execve
echo "baseline: $(load)"
