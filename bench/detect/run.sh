#!/usr/bin/env bash
# Detection benchmark: events/s for parsing+evaluation and for evaluation alone, on
# one thread, with vigie's default audit rules plus Falco's k8s audit rules, and the
# peak memory of each phase and of the whole run (from /usr/bin/time -v).
#
#   bench/detect/run.sh [events] [corpora-dir]
#
# The stream is routine control-plane traffic with one event in 100 taken from Falco's
# attack traces; VIGIE_BENCH_ATTACK_EVERY=1 makes it attack traces only.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${1:-1000000}
CORPORA=${2:-../shared/corpora}
TRACES=$CORPORA/falco-tests/test/trace_files/k8s_audit
RULES=$CORPORA/falco-rules/plugins/plugins/k8saudit/rules/k8s_audit_rules.yaml
cargo build --release --locked -p vigie-detect --example bench_detect
# Where cargo put it: CARGO_TARGET_DIR when set, as cargo itself reads it.
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_detect
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$BIN" "$TRACES" "$EVENTS" "$RULES" 2> >(grep -E "Maximum resident|Elapsed" >&2)
else
  "$BIN" "$TRACES" "$EVENTS" "$RULES"
fi
