#!/usr/bin/env bash
# Webhook throughput: wrk POSTs one EventList of 20 routine events (13 KB) to
# `vigie detect audit --listen` on loopback, for 10 s per run, and reports the
# requests answered per second, those accepted (2xx; the others are 503s when the
# detection queue is full), and the median latency.
#
#   bench/detect/webhook.sh [connections] [vigie binary]...
#
# With several binaries, runs alternate between them (three rounds), so that each
# sees the same load. Needs wrk (Debian: apt-get install wrk) and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNECTIONS=${1:-16}
shift || true
if [ $# -eq 0 ]; then
  cargo build --release --locked -p vigie-cli
  set -- "${CARGO_TARGET_DIR:-target}/release/vigie"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/eventlist.json" <<'PY'
import json, random, sys
random.seed(7)
users = ["system:node:worker-1", "system:kube-scheduler", "alice@example.com",
         "system:serviceaccount:kube-system:replicaset-controller"]
items = []
for i in range(20):
    resource = random.choice(["pods", "configmaps", "leases", "nodes", "deployments"])
    items.append({
        "level": "Metadata", "auditID": "b%04d" % i, "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/default/%s/obj-%d" % (resource, i),
        "verb": random.choice(["get", "list", "watch", "update", "patch", "create"]),
        "user": {"username": random.choice(users), "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.%d" % i], "userAgent": "kube-controller-manager/v1.30.1",
        "objectRef": {"resource": resource, "namespace": "default", "name": "obj-%d" % i},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": "2025-03-01T10:00:00.000000Z",
        "stageTimestamp": "2025-03-01T10:00:00.002000Z",
        "annotations": {"authorization.k8s.io/decision": "allow"}})
json.dump({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items},
          open(sys.argv[1], "w"), separators=(",", ":"))
PY
cat > "$WORK/post.lua" <<LUA
local f = io.open("$WORK/eventlist.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
PORT=19765
THREADS=$(( CONNECTIONS < 2 ? 1 : 2 ))
for round in 1 2 3; do
  for bin in "$@"; do
    "$bin" detect audit --listen 127.0.0.1:$PORT -o json >/dev/null 2>"$WORK/server.err" &
    pid=$!
    for _ in $(seq 100); do
      curl -s -o /dev/null http://127.0.0.1:$PORT/healthz && break
      sleep 0.1
    done
    out=$(wrk -t$THREADS -c"$CONNECTIONS" -d10s --latency -s "$WORK/post.lua" \
      http://127.0.0.1:$PORT/k8s-audit)
    kill $pid
    wait $pid 2>/dev/null || true
    total=$(echo "$out" | awk '/requests in/ {print $1}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    non2xx=${non2xx:-0}
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    echo "round $round $bin: $(( total / 10 )) requests/s, $(( (total - non2xx) / 10 )) accepted/s ($(( (total - non2xx) * 2 )) events/s), p50 $p50"
  done
done
