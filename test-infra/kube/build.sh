#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubelet and etcd from the Go module proxy for the
# integration-test harness (module acr-credential-kube-testing).
#
# The versions are the ones pinned in go.mod/go.sum next to this script. The binaries land in
#   ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/kube-<k8s version>-etcd-<etcd version>/bin/
# and are rebuilt only when one of them is missing. The last line printed on stdout is that
# directory. Nothing is written into the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Read the pinned versions straight from go.mod so the cached case needs no Go at all.
module_version() {
  awk -v mod="$1" '$1 == mod && $2 ~ /^v/ { print $2; exit }' "$here/go.mod"
}
kube_version="$(module_version k8s.io/kubernetes)"
etcd_version="$(module_version go.etcd.io/etcd/server/v3)"
if [[ -z "$kube_version" || -z "$etcd_version" ]]; then
  echo "build.sh: cannot read the k8s.io/kubernetes or go.etcd.io/etcd/server/v3 version from $here/go.mod" >&2
  exit 2
fi

cache_root="${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}"
bin_dir="$cache_root/kube-$kube_version-etcd-$etcd_version/bin"
binaries=(etcd kube-apiserver kube-controller-manager kubelet)

all_present() {
  local b
  for b in "${binaries[@]}"; do
    [[ -x "$bin_dir/$b" ]] || return 1
  done
}

if all_present; then
  echo "build.sh: cached binaries are up to date" >&2
  echo "$bin_dir"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed; install Go >= 1.24 to build kube-apiserver and etcd" >&2
  exit 3
fi

mkdir -p "$bin_dir"
# One build at a time per cache directory (parallel Maven runs may call this script).
exec 9>"$bin_dir/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if all_present; then
  echo "$bin_dir"
  exit 0
fi

staging="$(mktemp -d "$bin_dir/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

kube_minor="${kube_version#v1.}"
kube_minor="${kube_minor%%.*}"
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version"
  kube_ldflags+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
cd "$here"

echo "build.sh: building kube-apiserver, kube-controller-manager $kube_version and etcd $etcd_version into $bin_dir (first build takes many minutes)" >&2
set -x
go build -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3
go build -trimpath -ldflags "$kube_ldflags" -o "$staging/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubelet
set +x

for b in "${binaries[@]}"; do
  mv -f "$staging/$b" "$bin_dir/$b"
done
echo "$bin_dir"
