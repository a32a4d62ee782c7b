#!/usr/bin/env bash
# Builds kustomize from the Go module proxy (the manifest tests run `kustomize build` on every base and
# overlay under acr-credential-examples/deploy).
#
# The version is the one pinned in go.mod/go.sum next to this script (module
# sigs.k8s.io/kustomize/kustomize/v5). The binary lands in
# ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/kustomize-<version>/bin/kustomize and is rebuilt only
# when it is missing. The last line printed on stdout is that directory. Nothing is written into the
# repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module=sigs.k8s.io/kustomize/kustomize/v5
version="$(awk -v mod="$module" '$1 == mod && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [[ -z "$version" ]]; then
  echo "build.sh: cannot read the $module version from $here/go.mod" >&2
  exit 2
fi
bin_dir="${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/kustomize-$version/bin"
if [[ -x "$bin_dir/kustomize" ]]; then
  echo "$bin_dir"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed; install the Go named in $here/go.mod to build kustomize" >&2
  exit 3
fi
mkdir -p "$bin_dir"
# One build at a time per cache directory (parallel Maven runs may call this script).
exec 9>"$bin_dir/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if [[ -x "$bin_dir/kustomize" ]]; then
  echo "$bin_dir"
  exit 0
fi
staging="$(mktemp -d "$bin_dir/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
cd "$here"
echo "build.sh: building kustomize $version into $bin_dir" >&2
go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$version" -o "$staging/kustomize" "$module"
mv -f "$staging/kustomize" "$bin_dir/kustomize"
echo "$bin_dir"
