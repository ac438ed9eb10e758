# Shared by the admission bench scripts (run.sh, cpu_per_request.sh,
# instructions_per_request.sh), sourced first: strict mode, the repository's root
# as the working directory, CORPUS set (find_corpus).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# Sets CORPUS, when not given, to the Kyverno policies next to the checkout (or
# next to its worktree).
find_corpus() {
  if [ -z "${CORPUS:-}" ]; then
    for c in ../shared/corpora/kyverno-policies ../../shared/corpora/kyverno-policies; do
      [ -d "$c" ] && CORPUS=$c && break
    done
  fi
  CORPUS=${CORPUS:-../shared/corpora/kyverno-policies}
}
find_corpus

# Sets VIGIE to the binary given ($1), else to the release build of the target
# directory, built when missing.
find_vigie() {
  VIGIE=${1:-${CARGO_TARGET_DIR:-target}/release/vigie}
  [ -x "$VIGIE" ] || cargo build --release --locked -p vigie-cli
}

# Stops the script, exit code 2, unless each command named is installed.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is needed" >&2; exit 2; }
  done
}

# Stops the script, exit code 2, unless the corpus holds the Pod Security policies.
need_pod_security() {
  [ -d "$CORPUS/pod-security" ] || { echo "$(basename "$0"): no $CORPUS/pod-security" >&2; exit 2; }
}

# Writes into directory $1 what a run serves and sends: the library's Pod
# Security ClusterPolicies with validationFailureAction $MODE (policies/), the
# AdmissionReviews of make_reviews.py, and a certificate for localhost and
# 127.0.0.1 (tls.crt, tls.key).
prepare_work() {
  local work=$1
  mkdir -p "$work/policies"
  grep -rlE '^kind: ClusterPolicy' "$CORPUS/pod-security" --include='*.yaml' | sort | while read -r f; do
    sed "s/validationFailureAction: .*/validationFailureAction: $MODE/" "$f" > "$work/policies/$(basename "$f")"
  done
  python3 bench/admission/make_reviews.py "$work"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
}

# Writes $1/rotate.lua, with which wrk sends the four reviews of directory $1 to
# /validate in turn.
write_rotate_lua() {
  cat > "$1/rotate.lua" <<LUA
local bodies = {}
for _, name in ipairs({"deployment-ok", "deployment-bad", "pod-ok", "pod-bad"}) do
  local f = io.open("$1/" .. name .. ".json", "rb")
  bodies[#bodies + 1] = f:read("*all")
  f:close()
end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, bodies[i])
end
LUA
}

# A scratch directory in WORK, removed on exit, when the server started in the
# background (its pid in `pid`) is stopped too.
make_work() {
  WORK=$(mktemp -d)
  pid=
  trap cleanup_work EXIT
}
cleanup_work() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  rm -rf "$WORK"
}

# Waits for the server started in the background (logging to $WORK/server.log)
# to answer /readyz on $PORT, at most $1 tenths of a second (default 100); stops
# the script with the server's log if it did not start.
wait_ready() {
  for _ in $(seq "${1:-100}"); do
    curl -sk -o /dev/null "https://127.0.0.1:$PORT/readyz" && break
    sleep 0.1
  done
  grep -q 'serving' "$WORK/server.log" || { cat "$WORK/server.log" >&2; exit 1; }
}
