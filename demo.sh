#!/usr/bin/env bash
# The refresher end to end on this machine: a fake ACR, a local kube-apiserver (+ etcd,
# kube-controller-manager) on 127.0.0.1, namespaces, ServiceAccounts, pull Secrets, a rotation.
# No cloud account and no Docker needed. Builds what is missing (REBUILD=1 rebuilds the jar),
# then runs the demo jar (acr-credential-demo: the program plus the fakes and the harness).
#
# ./demo.sh --node: the same job with a real node (containerd + kubelet, root only): the refresher
# writes the pull Secret and a Pod starts from a private image of an ACR-like local registry.
set -euo pipefail
cd "$(dirname "$0")"
node=
if [[ "${1:-}" == --node ]]; then
  shift
  node=yes
  cat <<'EOF'
== ./demo.sh --node: a real node (containerd + kubelet) on this machine
While it runs it changes these host settings, and restores them when it ends (also on failure):
  - sysctls the kubelet sets: vm.overcommit_memory, vm.panic_on_oom, kernel.panic,
    kernel.panic_on_oops, kernel.keys.root_maxkeys, kernel.keys.root_maxbytes
  - /etc/hosts: example-registry[-vpc].cn-hangzhou.cr.aliyuncs.com -> 127.0.0.4 (lines marked
    "acr-credential-node", removed again)
  - cgroups "kubepods", a bridge interface acrnode0, /var/lib/kubelet, /run/containerd,
    /var/lib/cni (removed when it created them)
  - ports 10250 and 10248 (kubelet), 127.0.0.4:443 (the registry)
EOF
  reason=
  if [[ $(id -u) != 0 ]]; then
    reason="a node needs root (containerd, runc, mounts, cgroups, sysctls)"
  fi
  for tool in containerd ctr runc docker-registry skopeo gcc; do
    if [[ -z $reason ]] && ! command -v "$tool" >/dev/null; then
      reason="$tool is not installed (apt-get install containerd runc containernetworking-plugins docker-registry skopeo gcc)"
    fi
  done
  if [[ -n $reason ]]; then
    echo "No node here: $reason. Showing the rest without a node."
    node=
  fi
fi
if [[ -z "${ACR_KUBE_BIN:-}" ]]; then
  # Returns at once when the binaries are cached; the first build needs Go >= 1.24 (~12 min).
  bash test-infra/kube/build.sh
fi
jar=acr-credential-demo/target/acr-credential-demo.jar
if [[ ! -f "$jar" || "${REBUILD:-}" == 1 ]]; then
  mvn -B -q -pl acr-credential-demo -am package -DskipTests
fi
if [[ -n $node ]]; then
  # The shipped manifests, the jar's sync under the shipped ServiceAccount, a registry that accepts
  # only the fake ACR's logins, and Pods of the default ServiceAccount: NodePullSecretIT, run alone.
  exec env ACR_NODE_REQUIRED=true mvn -B -q -pl acr-credential-examples -am verify -Dtest=none \
    -Dit.test=NodePullSecretIT -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false -Dspotless.check.skip=true
fi
exec java -jar "$jar" demo "$@"
