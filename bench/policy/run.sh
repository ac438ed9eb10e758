#!/usr/bin/env bash
# Applies the Pod Security policy set of the Kyverno corpus to 10,000 generated
# workloads (Pods, Deployments, StatefulSets, CronJobs) and prints resources per
# second and per-resource latency (median, p99). Figures are recorded in README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
policies=${1:-../shared/corpora/kyverno-policies/pod-security}
count=${2:-10000}
cargo run --release --locked -q -p vigie-policy --example policy_bench -- "$policies" "$count"
