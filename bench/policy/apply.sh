#!/usr/bin/env bash
# Whole-process benchmark of `vigie policy apply`: peak memory and wall time on
# generated Pods, as one `kind: List` (what `kubectl get pods -o json` prints) and
# as separate documents, with the text and the JSON outputs; and a one-line JSON
# List (`jq -c`) against the same List pretty-printed.
#
#   bench/policy/apply.sh [POLICY_DIR] [COUNT...]   (default: pod-security, 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
policies=${1:-../shared/corpora/kyverno-policies/pod-security}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10000 100000)
cargo build --release --locked -q -p vigie-cli
vigie=${CARGO_TARGET_DIR:-target}/release/vigie
out=bench/out/policy
mkdir -p "$out"

# Deterministic Pods with a mix of compliant and violating settings.
generate() { # COUNT SHAPE FILE   (SHAPE: list | docs | oneline)
  python3 - "$@" <<'PY'
import json, sys
n, shape, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def pod(i):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": f"ns{i % 20}", "labels": {"app": f"a{i % 9}"}},
            "spec": {"hostNetwork": i % 11 == 0, "containers": [{
                "name": "c", "image": f"registry.example/app:{i % 50}",
                "securityContext": {"privileged": i % 7 == 0, "allowPrivilegeEscalation": i % 5 == 0,
                                    "runAsNonRoot": i % 3 != 0},
                "ports": [{"containerPort": 8080}],
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}}
with open(path, "w") as f:
    if shape == "docs":
        for i in range(n):
            f.write("---\n" + json.dumps(pod(i)) + "\n")
    else:
        doc = {"apiVersion": "v1", "kind": "List", "items": [pod(i) for i in range(n)]}
        json.dump(doc, f, indent=None if shape == "oneline" else 2)
PY
}

measure() { # LABEL ARGS...
  local label=$1; shift
  # vigie exits 1 on violations, which is expected here.
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$vigie" policy apply "$@" >/dev/null 2>"$out/stderr.txt" || true
  read -r wall peak < <(tail -1 "$out/time.txt")
  printf '%-40s %8s s %10s MiB\n' "$label" "$wall" "$(( peak / 1024 ))"
}

for n in "${counts[@]}"; do
  for shape in list docs; do
    file="$out/pods-$n-$shape.json"
    [ -f "$file" ] || generate "$n" "$shape" "$file"
    for format in text json; do
      measure "$n pods, $shape, --output-format $format" "$policies" -r "$file" --output-format "$format"
    done
  done
done
# One-line JSON: the position of every node is found without rescanning the line.
for shape in oneline list; do
  file="$out/pods-16000-$shape.json"
  [ -f "$file" ] || generate 16000 "$shape" "$file"
  measure "16000 pods, $shape JSON" "$policies" -r "$file"
done
