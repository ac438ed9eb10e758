#!/usr/bin/env bash
# The live sensor's throughput and overhead (see docs/sensor.md for figures).
#
#   bench/sensor/run.sh [ITERATIONS]     (root: the sensor loads eBPF programs)
#   SCENARIOS="baseline floor fixed" ROUNDS=5 bench/sensor/run.sh
#
# loadgen (bench/sensor/loadgen.c) runs a syscall mix pinned to CPU 0; the
# consumer (crates/vigie-sensor/examples/sensor_bench.rs) runs pinned to CPU 1,
# decodes every event and keeps the process/fd state (and evaluates rules when
# RULES="a.yaml b.yaml" is set). Scenarios:
#   baseline  no sensor: the load's ns per syscall
#   all       every syscall the sensor encodes copied out (5 of the 6 syscalls of the mix)
#   state     what the state tables need only (openat, close): the kernel filter drops the rest
#   floor     no sensor, but an EMPTY program (r0 = 0; exit) attached to
#             tp_btf/sys_exit (crates/vigie-sensor/examples/hook_probe.rs): what the
#             kernel's syscall tracepoint path costs by itself
#   fixed     the sensor attached, none of the load's syscalls watched (execve
#             only): the cost every unwatched syscall pays for the sensor
# The default is "baseline all state floor fixed baseline", once. With ROUNDS=N
# the scenarios run N times, each round starting one scenario later (so none is
# always first), and a summary gives each scenario's median ns per syscall and
# its overhead over the median baseline.
# For each run: events delivered, kernel drops, the consumer's CPU time (utime+stime from
# /proc/PID/stat) and what that makes per CPU second (the events/s one core sustains),
# events per second of the load's CPU time, and the load's CPU ns per syscall and
# overhead over the latest baseline. CPU times, not wall times: on a shared machine
# the wall clock mostly measures the other processes. The load average is printed
# with each run.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/sensor/run.sh: needs root (loading eBPF programs)" >&2
  exit 1
fi
iters=${1:-1000000}
rounds=${ROUNDS:-1}
read -r -a scenarios <<<"${SCENARIOS:-baseline all state floor fixed baseline}"
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p vigie-sensor --example sensor_bench --example hook_probe
bench="$target/release/examples/sensor_bench"
probe="$target/release/examples/hook_probe"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/loadgen" bench/sensor/loadgen.c
# 100 bytes: the first read gets 64, the second 36.
head -c 100 /dev/zero >"$work/data"

rule_args=()
for r in ${RULES:-}; do rule_args+=(-r "$r"); done

load() { taskset -c 0 "$work/loadgen" "$iters" "$work/data"; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }

base_ns=""
# One line per run, "scenario ns_per_syscall", for the summary.
: >"$work/runs"

baseline() {
  local l
  l=$(load)
  base_ns=$(awk '{print $6}' <<<"$l")
  echo "baseline: $l (load average $(loadavg))"
  echo "baseline $base_ns" >>"$work/runs"
}

# with NAME COMMAND...: runs COMMAND pinned to CPU 1 until it prints "ready",
# runs the load, stops COMMAND with SIGINT and prints the figures.
with() {
  local name=$1
  shift
  taskset -c 1 "$@" >"$work/out" 2>"$work/err" &
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
  awk -v name="$name" -v base="${base_ns:-0}" -v ld="$l" -v fig="$figures" -v la="$(loadavg)" 'BEGIN {
    split(ld, L, " "); n = split(fig, F, " ");
    for (i = 1; i < n; i += 2) v[F[i]] = F[i + 1];
    secs = L[4] / 1e9;
    cpu = v["cpu_s"] > 0 ? v["cpu_s"] : 0.001;
    over = base > 0 ? sprintf("+%.1f%%", (L[6] / base - 1) * 100) : "no baseline yet";
    printf "%-6s events %d, dropped %d, too_big %d, undecodable %d, matches %d; consumer %.2f cpu s = %.0f events per cpu s; %.0f events per load cpu s; load %.1f ns/syscall (%s); load average %s\n",
      name, v["events"], v["dropped"], v["too_big"], v["undecodable"], v["matches"], v["cpu_s"], v["events"] / cpu, v["events"] / secs, L[6], over, la }'
  echo "$name $(awk '{print $6}' <<<"$l")" >>"$work/runs"
}

scenario() {
  case $1 in
    baseline) baseline ;;
    all) with all "$bench" "${rule_args[@]}" --syscalls read,write,open,openat,close,socket,connect,chmod,fchmod,fchmodat,memfd_create,execve,execveat,clone,fork,vfork,clone3,openat2 ;;
    state) with state "$bench" "${rule_args[@]}" --syscalls execve ;;
    floor) with floor "$probe" --hold-empty-sys-exit ;;
    fixed) with fixed "$bench" --only execve ;;
    *) echo "bench/sensor/run.sh: unknown scenario $1 (baseline, all, state, floor, fixed)" >&2; exit 2 ;;
  esac
}

n=${#scenarios[@]}
for ((r = 0; r < rounds; r++)); do
  [ "$rounds" -gt 1 ] && echo "round $((r + 1)) of $rounds"
  for ((i = 0; i < n; i++)); do
    scenario "${scenarios[$(((r + i) % n))]}"
  done
done

if [ "$rounds" -gt 1 ]; then
  echo "medians over $rounds rounds (load ns per syscall):"
  sort -k1,1 -k2,2n "$work/runs" | awk '
    { v[$1, ++c[$1]] = $2 }
    END {
      for (s in c) { m = c[s]; med[s] = (m % 2) ? v[s, (m + 1) / 2] : (v[s, m / 2] + v[s, m / 2 + 1]) / 2 }
      for (s in c) {
        over = ("baseline" in med) && s != "baseline" ? sprintf(" (+%.1f%%, +%.1f ns)", (med[s] / med["baseline"] - 1) * 100, med[s] - med["baseline"]) : ""
        printf "  %-8s %.1f over %d runs, from %.1f to %.1f%s\n", s, med[s], c[s], v[s, 1], v[s, c[s]], over
      }
    }' | sort
fi
