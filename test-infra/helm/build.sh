#!/usr/bin/env bash
# Builds helm from the Go module proxy: Helm (the chart tests: helm lint, helm template, install, upgrade, uninstall).
#
# The version is the one pinned in go.mod/go.sum next to this script (module helm.sh/helm/v3). The binary
# lands in ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/helm-<version>/bin/helm and is rebuilt only
# when it is missing. The last line printed on stdout is that directory (../lib/cached-go-build.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/cached-go-build.sh"
version="$(go_mod_version helm.sh/helm/v3)"
bin_dir="$(cache_bin_dir "helm-$version")"

build() {
  echo "build.sh: building helm $version into $bin_dir" >&2
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$1/helm" helm.sh/helm/v3/cmd/helm
}
cached_go_build "$bin_dir" "install the Go named in $here/go.mod to build helm" build helm
