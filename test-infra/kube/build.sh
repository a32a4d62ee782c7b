#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubelet and etcd from the Go module proxy for the
# integration-test harness (module acr-credential-kube-testing).
#
# The versions are the ones pinned in go.mod/go.sum next to this script. The binaries land in
#   ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/kube-<k8s version>-etcd-<etcd version>/bin/
# and are rebuilt only when one of them is missing. The last line printed on stdout is that
# directory (../lib/cached-go-build.sh). Nothing is written into the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/cached-go-build.sh"
# Read the pinned versions straight from go.mod so the cached case needs no Go at all.
kube_version="$(go_mod_version k8s.io/kubernetes)"
etcd_version="$(go_mod_version go.etcd.io/etcd/server/v3)"
bin_dir="$(cache_bin_dir "kube-$kube_version-etcd-$etcd_version")"

build() {
  local staging="$1" kube_minor kube_ldflags="-s -w" pkg
  kube_minor="${kube_version#v1.}"
  kube_minor="${kube_minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ldflags+=" -X $pkg.gitVersion=$kube_version"
    kube_ldflags+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
    kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "build.sh: building kube-apiserver, kube-controller-manager $kube_version and etcd $etcd_version into $bin_dir (first build takes many minutes)" >&2
  set -x
  go build -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3
  go build -trimpath -ldflags "$kube_ldflags" -o "$staging/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubelet
  set +x
}
CACHED_NOTE="build.sh: cached binaries are up to date"
cached_go_build "$bin_dir" "install Go >= 1.24 to build kube-apiserver and etcd" build \
  etcd kube-apiserver kube-controller-manager kubelet
