#!/usr/bin/env bash
# Admission webhook load test: `vigie admission serve` on loopback HTTPS with the
# 17 Pod Security policies of the Kyverno library (read from the corpus at run
# time, pod-security/, with validationFailureAction set to $MODE), fed recorded
# AdmissionReviews (CREATE of a realistic Deployment and Pod, half violating;
# written by make_reviews.py). Reports:
#   - at 1,000 and 5,000 requests/s (hey, a fixed rate): p50, p99 and max
#     latency as the client sees it, non-200 answers, and the server's RSS;
#   - the same rates from wrk, each connection pausing between requests (a
#     lighter client than hey's four processes; PERIOD ms, default 4);
#   - the saturation throughput (wrk, 16 connections, as fast as it answers;
#     requests beyond the worker pool wait in its queue);
#   - the server's peak RSS (VmHWM);
#   - for the paced wrk runs, the server's own time per request (its
#     vigie_http_request_duration_seconds histogram, head to response, scraped
#     before and after) and how late a bare sleeping thread wakes meanwhile
#     (wake_lateness.py, also measured idle first): what the scheduler adds.
# Client and server share the machine's cores: the figures include the client.
#
#   bench/admission/run.sh [vigie binary]
#   env: CORPUS (default ../shared/corpora/kyverno-policies), MODE (Enforce|Audit,
#        default Enforce), DURATION seconds per run (default 10), RATES ("1000 5000"),
#        SERVE_ARGS (more options for the server, e.g. "--workers 2")
# Needs hey and wrk (Debian: apt-get install hey wrk), curl, openssl, python3.
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
. "$(dirname "$0")/common.sh"
MODE=${MODE:-Enforce}
DURATION=${DURATION:-10}
RATES=${RATES:-1000 5000}
find_vigie "${1:-}"
need_tools hey wrk curl openssl python3
need_pod_security
make_work

mkdir -p "$WORK/reports"
prepare_work "$WORK"
echo "policies: $(ls "$WORK/policies" | wc -l) from $CORPUS/pod-security ($MODE)"

PORT=${PORT:-19443}
URL=https://127.0.0.1:$PORT/validate
# As the manifests' Deployment sets it (docs/admission.md): mimalloc commits its
# arenas as they are used.
MIMALLOC_ARENA_EAGER_COMMIT=0 "$VIGIE" admission serve --policies "$WORK/policies" --listen 127.0.0.1:$PORT \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --reports-dir "$WORK/reports" \
  --shutdown-delay 100ms ${SERVE_ARGS:-} 2> "$WORK/server.log" &
pid=$!
wait_ready
for f in "$WORK"/*-ok.json "$WORK"/*-bad.json; do
  printf '%-16s %s\n' "$(basename "$f" .json)" \
    "$(curl -sk -H 'Content-Type: application/json' --data-binary @"$f" "$URL" | python3 -c 'import json,sys; r=json.load(sys.stdin)["response"]; print("allowed" if r["allowed"] else "denied", len(r.get("status",{}).get("message","")), "bytes of message")')"
done
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$pid/status"; }

write_rotate_lua "$WORK"
python3 bench/admission/wake_lateness.py 3 "wake-up lateness, machine idle"
# Warm-up.
wrk -t2 -c8 -d2s -s "$WORK/rotate.lua" "https://127.0.0.1:$PORT" >/dev/null

for rate in $RATES; do
  per=$(( rate / 4 ))
  # Few connections, each at up to 250 req/s: what a few API servers send.
  workers=$(( (per + 249) / 250 ))
  qps=$(( per / workers ))
  for name in deployment-ok deployment-bad pod-ok pod-bad; do
    # -host: hey puts the Host header, port included, in the TLS server name; rustls
    # refuses a name with a port.
    hey -z "${DURATION}s" -c "$workers" -q "$qps" -host localhost -m POST -T application/json \
      -D "$WORK/$name.json" -o csv "$URL" > "$WORK/hey-$rate-$name.csv" 2>/dev/null &
  done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  python3 - "$rate" "$DURATION" "$WORK"/hey-"$rate"-*.csv <<'PY'
import csv, sys
rate, duration, files = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
times, bad = [], 0
for name in files:
    with open(name) as f:
        for row in csv.DictReader(f):
            times.append(float(row["response-time"]) * 1000)
            if row["status-code"] != "200":
                bad += 1
times.sort()
pct = lambda p: times[min(len(times) - 1, int(p / 100 * len(times)))]
print(f"{rate} req/s asked: {len(times) / duration:.0f} req/s sent, p50 {pct(50):.2f} ms, "
      f"p99 {pct(99):.2f} ms, max {times[-1]:.2f} ms, non-200 {bad}", end="  ")
PY
  echo "server $(rss)"
done

# The same rates from a lighter client: wrk (C, one event loop a thread, where
# hey runs four Go processes) with each connection pausing PERIOD ms after each
# answer (wrk's Lua `delay`, whole milliseconds), so the connection count sets
# the rate: rate x (PERIOD + 1 ms) / 1000 connections, which sends more than
# asked when answers take under 1 ms. wrk times a request from its send, as
# hey does; the rate it reached is printed.
PERIOD=${PERIOD:-4}
# The server's histograms: "metric bound count" lines of the HTTP layer's
# head-to-response times and the admission handler's own.
server_times() {
  curl -sk "https://127.0.0.1:$PORT/metrics" |
    sed -n 's/^vigie_\(http\|admission\)_request_duration_seconds_bucket{le="\([^"]*\)"} \([0-9]*\)$/\1 \2 \3/p'
}
for rate in $RATES; do
  conns=$(( (rate * (PERIOD + 1) + 999) / 1000 ))
  { cat "$WORK/rotate.lua"; echo "delay = function() return $PERIOD end"; } > "$WORK/paced.lua"
  server_times > "$WORK/before.txt"
  python3 bench/admission/wake_lateness.py "$(( DURATION - 1 ))" "wake-up lateness during the run" > "$WORK/lateness.txt" &
  probe=$!
  wrk -t2 -c"$conns" -d"${DURATION}s" --latency -s "$WORK/paced.lua" "https://127.0.0.1:$PORT" > "$WORK/paced-$rate.txt"
  wait "$probe"
  server_times > "$WORK/after.txt"
  echo "$rate req/s asked (wrk, $conns connections, ${PERIOD} ms apart): $(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/paced-$rate.txt") req/s sent, p50 $(awk '$1=="50%" {print $2}' "$WORK/paced-$rate.txt"), p99 $(awk '$1=="99%" {print $2}' "$WORK/paced-$rate.txt"), max $(awk '$1=="Latency" {print $4}' "$WORK/paced-$rate.txt"), non-2xx $(awk '/Non-2xx/ {print $NF}' "$WORK/paced-$rate.txt" | grep . || echo 0)  server $(rss)"
  python3 - "$WORK/before.txt" "$WORK/after.txt" <<'PY'
import sys
def read(name):
    runs = {}
    for line in open(name):
        metric, bound, count = line.split()
        runs.setdefault(metric, []).append((bound, int(count)))
    return runs
before, after = read(sys.argv[1]), read(sys.argv[2])
for metric, what in [("http", "head to response"), ("admission", "handler alone")]:
    runs = [(b, n - m) for (b, n), (_, m) in zip(after[metric], before[metric])]
    total = runs[-1][1]
    share = lambda bound: next(n for b, n in runs if b == bound) / total * 100
    p99 = next(b for b, n in runs if n >= 0.99 * total)
    print(f"  server, {what}: {share('0.00025'):.1f}% within 0.25 ms, {share('0.0005'):.1f}% within 0.5 ms, "
          f"{share('0.001'):.1f}% within 1 ms, {share('0.002'):.2f}% within 2 ms; p99 at most {float(p99) * 1000:g} ms ({total} requests)")
PY
  echo "  $(cat "$WORK/lateness.txt")"
done

# The server's CPU time (user and system, clock ticks of /proc/PID/stat) over
# the saturation run, per request: what the kernel's side (sockets, wake-ups)
# costs next to vigie's own code, which callgrind does not see.
ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }
read -r user0 sys0 < <(ticks)
wrk -t2 -c16 -d"${DURATION}s" --latency -s "$WORK/rotate.lua" "https://127.0.0.1:$PORT" > "$WORK/wrk.txt"
read -r user1 sys1 < <(ticks)
echo "saturation (wrk, 16 connections): $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt") req/s, p50 $(awk '$1=="50%" {print $2}' "$WORK/wrk.txt"), p99 $(awk '$1=="99%" {print $2}' "$WORK/wrk.txt"), non-2xx $(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt" | grep . || echo 0)  server $(rss)"
awk -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v hz="$(getconf CLK_TCK)" '/requests in/ {n = $1}
  END {if (n) printf "server CPU per request at saturation: user %.0f µs, system %.0f µs (%d requests)\n", u / hz * 1e6 / n, s / hz * 1e6 / n, n}' "$WORK/wrk.txt"
curl -sk "https://127.0.0.1:$PORT/metrics" | grep -E '^vigie_admission_(deadline_answers_total|report_results_dropped_total|policies_loaded)|^vigie_http_requests_total' || true
kill -TERM "$pid"
wait "$pid" || true
pid=
echo "reports written: $(ls "$WORK/reports" | wc -l) file(s)"
