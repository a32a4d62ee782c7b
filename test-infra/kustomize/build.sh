#!/usr/bin/env bash
# Builds kustomize from the Go module proxy (the manifest tests run `kustomize build` on every base and
# overlay under acr-credential-examples/deploy).
#
# The version is the one pinned in go.mod/go.sum next to this script (module
# sigs.k8s.io/kustomize/kustomize/v5). The binary lands in
# ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/kustomize-<version>/bin/kustomize and is rebuilt only
# when it is missing. The last line printed on stdout is that directory (../lib/cached-go-build.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/cached-go-build.sh"
module=sigs.k8s.io/kustomize/kustomize/v5
version="$(go_mod_version "$module")"
bin_dir="$(cache_bin_dir "kustomize-$version")"

build() {
  echo "build.sh: building kustomize $version into $bin_dir" >&2
  go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$version" -o "$1/kustomize" "$module"
}
cached_go_build "$bin_dir" "install the Go named in $here/go.mod to build kustomize" build kustomize
