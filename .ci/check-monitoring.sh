#!/usr/bin/env bash
# The alerting rules and the dashboard: promtool (built from the Go module proxy by
# test-infra/promtool/build.sh) checks the rule file and runs its unit tests (each alert firing
# and quiet), and the Grafana dashboard's queries name only series the refresher exports.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=acr-credential-examples/deploy/helm/acr-credential/files/alerts.yaml
tests=acr-credential-examples/deploy/monitoring/alerts_test.yaml
dashboard=acr-credential-examples/deploy/monitoring/grafana-dashboard.json

promtool="$(bash test-infra/promtool/build.sh | tail -n 1)/promtool"
"$promtool" --version | head -n 1
"$promtool" check rules "$rules"
"$promtool" test rules "$tests"

# Every acr_credential_* name in the rules and the dashboard is one the program writes.
python3 - "$rules" "$dashboard" acr-credential-examples/src/main/java <<'PY'
import json, pathlib, re, sys
rules, dashboard, src = sys.argv[1:4]
exported = set()
for f in pathlib.Path(src).rglob("*.java"):
    exported |= set(re.findall(r'"(acr_credential_[a-z_]+)"', f.read_text()))
histograms = {n + s for n in exported for s in ("_bucket", "_sum", "_count")}
used = set(re.findall(r"acr_credential_[a-z_]+", pathlib.Path(rules).read_text()))
panels = json.loads(pathlib.Path(dashboard).read_text())["panels"]
exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
if not exprs:
    sys.exit("the dashboard has no queries")
for e in exprs:
    used |= set(re.findall(r"acr_credential_[a-z_]+", e))
unknown = sorted(used - exported - histograms)
if unknown:
    sys.exit("rules or dashboard use series the program does not export: " + ", ".join(unknown))
print(f"rules and dashboard ({len(exprs)} queries) use only exported series: {', '.join(sorted(used))}")
PY
