#!/usr/bin/env bash
# Instructions the admission server executes per request, TLS, HTTP, the hand-off
# to the worker pool and the evaluation together: a count that does not depend on
# the machine's load (unlike latency, and unlike CPU time, which grows with the
# cache and scheduler contention of other processes).
#
# Runs `vigie admission serve` under `valgrind --tool=callgrind` (user-space
# instructions of every thread; the kernel's side of the syscalls is not
# counted), with the 17 Pod Security policies in $MODE as run.sh does. A client
# (python3, one keep-alive HTTPS connection) sends WARMUP requests, the counters
# are zeroed (callgrind_control -z), it sends N requests (the four reviews of
# make_reviews.py in turn), and the counters are dumped: their total over N.
# Also prints the webhook's own share (Webhook::answer, inclusive) so that the
# HTTP and TLS remainder shows.
#
#   bench/admission/instructions_per_request.sh [vigie binary]
#   env: CORPUS, MODE (Enforce), N (400), WARMUP (40), SERVE_ARGS, DUMP (a path to
#        keep the callgrind dump at, for callgrind_annotate)
. "$(dirname "$0")/common.sh"
MODE=${MODE:-Enforce}
N=${N:-400}
WARMUP=${WARMUP:-40}
find_vigie "${1:-}"
need_tools valgrind callgrind_control callgrind_annotate curl openssl python3
make_work

prepare_work "$WORK"

PORT=${PORT:-19445}
MIMALLOC_ARENA_EAGER_COMMIT=0 valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" \
  "$VIGIE" admission serve --policies "$WORK/policies" --listen 127.0.0.1:$PORT \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --shutdown-delay 100ms ${SERVE_ARGS:-} \
  2> "$WORK/server.log" &
pid=$!
wait_ready 600

send() {
  python3 - "$WORK" "$PORT" "$1" <<'PY'
import http.client, ssl, sys
work, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bodies = [open(f"{work}/{name}.json", "rb").read()
          for name in ("deployment-ok", "deployment-bad", "pod-ok", "pod-bad")]
context = ssl.create_default_context(cafile=f"{work}/tls.crt")
conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
for i in range(n):
    conn.request("POST", "/validate", bodies[i % 4], {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
conn.close()
PY
}
send "$WARMUP"
callgrind_control -z "$pid" >/dev/null 2>&1
send "$N"
callgrind_control -d "$pid" >/dev/null 2>&1
# The dump after zeroing is the last file written.
dump=$(ls -t "$WORK"/cg.* | head -1)
[ -z "${DUMP:-}" ] || cp "$dump" "$DUMP"
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
answer=$(callgrind_annotate --inclusive=yes "$dump" 2>/dev/null |
  awk '/vigie_admission::webhook::Webhook::answer \[/ && !done {gsub(",", "", $1); print $1; done = 1}')
python3 - "$N" "$total" "${answer:-0}" <<'PY'
import sys
n, total, answer = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print(f"{n} requests on one keep-alive connection: {total / n:,.0f} instructions per request "
      f"(server, every thread), of which Webhook::answer {answer / n:,.0f}, "
      f"the rest (TLS, HTTP, hand-off, runtime) {(total - answer) / n:,.0f}")
PY
kill -TERM "$pid"
wait "$pid" || true
pid=
