#!/usr/bin/env bash
# The refresher end to end on this machine: a fake ACR, a local kube-apiserver (+ etcd,
# kube-controller-manager) on 127.0.0.1, namespaces, ServiceAccounts, pull Secrets, a rotation.
# No cloud account and no Docker needed. Builds what is missing (REBUILD=1 rebuilds the jar),
# then runs the demo jar (acr-credential-demo: the program plus the fakes and the harness).
set -euo pipefail
cd "$(dirname "$0")"
if [[ -z "${ACR_KUBE_BIN:-}" ]]; then
  # Returns at once when the binaries are cached; the first build needs Go >= 1.24 (~12 min).
  bash test-infra/kube/build.sh
fi
jar=acr-credential-demo/target/acr-credential-demo.jar
if [[ ! -f "$jar" || "${REBUILD:-}" == 1 ]]; then
  mvn -B -q -pl acr-credential-demo -am package -DskipTests
fi
exec java -jar "$jar" demo "$@"
