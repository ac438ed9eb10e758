#!/usr/bin/env python3
"""same-report.py A.json B.json: whether two `vigie scan -o json` reports say
the same, up to the order of their findings, resources and errors (a cluster
scan reads several lists at once, so the order of objects varies from run to
run). Prints the first difference and exits 1 when they differ."""
import json
import sys


def canonical(report):
    key = lambda item: json.dumps(item, sort_keys=True)
    for part in ("findings", "resources", "errors"):
        report[part] = sorted(report.get(part, []), key=key)
    return report


a, b = (canonical(json.load(open(path))) for path in sys.argv[1:3])
if a == b:
    print(f"same: {len(a['findings'])} findings, {len(a['resources'])} resources")
    sys.exit(0)
for part in a:
    if a[part] != b.get(part):
        if isinstance(a[part], list):
            for i, (x, y) in enumerate(zip(a[part], b[part])):
                if x != y:
                    print(f"{part}[{i}]:\n  {json.dumps(x)[:400]}\n  {json.dumps(y)[:400]}")
                    break
            else:
                print(f"{part}: {len(a[part])} vs {len(b[part])} items")
        else:
            print(f"{part}: {json.dumps(a[part])[:400]} vs {json.dumps(b.get(part))[:400]}")
        break
sys.exit(1)
