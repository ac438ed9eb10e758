#!/usr/bin/env bash
# Applies the Pod Security policy set of the Kyverno corpus to 10,000 generated
# workloads (Pods, Deployments, StatefulSets, CronJobs) and prints resources per
# second and per-resource latency (median, p99): first the pattern policies
# (`pod-security/`), then their CEL versions (`pod-security-cel/`, validate.cel
# rules) on the same workloads. Figures are recorded in README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
policies=${1:-../shared/corpora/kyverno-policies/pod-security}
count=${2:-10000}
cel_policies=${3:-../shared/corpora/kyverno-policies/pod-security-cel}
echo "== pattern policies: $policies"
cargo run --release --locked -q -p vigie-policy --example policy_bench -- "$policies" "$count"
if [ -d "$cel_policies" ]; then
  echo "== CEL policies: $cel_policies"
  cargo run --release --locked -q -p vigie-policy --example policy_bench -- "$cel_policies" "$count"
fi
