#!/usr/bin/env bash
# The admission server's CPU time and context switches per request: figures that
# depend little on what else runs on the machine (unlike latency), so that a
# change to the server can be judged while other work shares the cores.
#
# Starts `vigie admission serve` as run.sh does (loopback HTTPS, the 17 Pod
# Security policies of the Kyverno library in $MODE, the four reviews of
# make_reviews.py), warms it up, then drives it with wrk for DURATION seconds at
# each asked RATE (paced connections, as run.sh's wrk step: each waits PERIOD ms
# after an answer) and, with SATURATE=1, as fast as it answers. Around each step
# it reads:
#   - the server's utime + stime (/proc/PID/stat, every thread, exited ones
#     included) -> CPU µs per request (TLS, HTTP and evaluation together);
#   - voluntary and involuntary context switches summed over the server's
#     threads (/proc/PID/task/*/status; a thread that exits during a step takes
#     its count with it, so the thread count before and after is printed);
#   - the requests answered, from the server's own counter
#     (vigie_http_requests_total on /metrics), not the client's.
#
#   bench/admission/cpu_per_request.sh [vigie binary]
#   env: CORPUS, MODE (Enforce), DURATION (10), RATES ("1000 5000"), PERIOD (4),
#        SATURATE (1), SERVE_ARGS (more server options, e.g. "--workers 2")
. "$(dirname "$0")/common.sh"
MODE=${MODE:-Enforce}
DURATION=${DURATION:-10}
RATES=${RATES:-1000 5000}
PERIOD=${PERIOD:-4}
SATURATE=${SATURATE:-1}
find_vigie "${1:-}"
need_tools wrk curl openssl python3
need_pod_security
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
make_work

prepare_work "$WORK"

PORT=${PORT:-19444}
MIMALLOC_ARENA_EAGER_COMMIT=0 "$VIGIE" admission serve --policies "$WORK/policies" --listen 127.0.0.1:$PORT \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --shutdown-delay 100ms ${SERVE_ARGS:-} \
  2> "$WORK/server.log" &
pid=$!
wait_ready
echo "policies: $(ls "$WORK/policies" | wc -l) ($MODE); server pid $pid"

write_rotate_lua "$WORK"

# utime + stime of the whole process, in clock ticks (fields 14 and 15 of stat;
# the command name, field 2, has no spaces here).
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# Voluntary, involuntary context switches and threads, over the live threads.
switches() {
  cat /proc/"$pid"/task/*/status 2>/dev/null | awk '
    /^voluntary_ctxt_switches/ {v += $2}
    /^nonvoluntary_ctxt_switches/ {n += $2}
    /^Pid:/ {t++}
    END {print v, n, t}'
}
# Requests answered, every path and code (the scrapes themselves count too: two
# per step, negligible against thousands).
answered() {
  curl -sk "https://127.0.0.1:$PORT/metrics" |
    awk '/^vigie_http_requests_total/ {s += $NF} END {printf "%d\n", s}'
}
hz=$(getconf CLK_TCK)

# Warm-up: the pool's threads started, the allocator's arenas grown.
wrk -t2 -c8 -d2s -s "$WORK/rotate.lua" "https://127.0.0.1:$PORT" >/dev/null

step() {
  local label=$1
  shift
  local n0 t0 v0 i0 th0 n1 t1 v1 i1 th1
  n0=$(answered); t0=$(ticks); read -r v0 i0 th0 < <(switches)
  wrk "$@" -d"${DURATION}s" -s "$WORK/step.lua" "https://127.0.0.1:$PORT" > "$WORK/wrk.txt"
  t1=$(ticks); read -r v1 i1 th1 < <(switches); n1=$(answered)
  python3 - "$label" "$hz" "$DURATION" "$n0" "$n1" "$t0" "$t1" "$v0" "$v1" "$i0" "$i1" "$th0" "$th1" \
    "$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")" <<'PY'
import sys
label, hz, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
n0, n1, t0, t1, v0, v1, i0, i1, th0, th1 = map(int, sys.argv[4:14])
non2xx = sys.argv[14] or "0"
n = n1 - n0
print(f"{label}: {n} requests ({n / duration:.0f}/s), "
      f"CPU {(t1 - t0) / hz * 1e6 / n:.1f} µs/request, "
      f"context switches {(v1 - v0) / n:.2f} voluntary + {(i1 - i0) / n:.2f} involuntary per request, "
      f"threads {th0} -> {th1}, non-2xx {non2xx}")
PY
}

for rate in $RATES; do
  conns=$(( (rate * (PERIOD + 1) + 999) / 1000 ))
  { cat "$WORK/rotate.lua"; echo "delay = function() return $PERIOD end"; } > "$WORK/step.lua"
  step "$rate req/s asked (wrk, $conns connections, ${PERIOD} ms apart)" -t2 -c"$conns"
done
if [ "$SATURATE" = 1 ]; then
  cp "$WORK/rotate.lua" "$WORK/step.lua"
  step "saturation (wrk, 16 connections)" -t2 -c16
fi
kill -TERM "$pid"
wait "$pid" || true
pid=
