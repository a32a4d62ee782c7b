#!/usr/bin/env bash
# Builds promtool from the Go module proxy: promtool (check rules and test rules on the alerting rules).
#
# The version is the one pinned in go.mod/go.sum next to this script (module github.com/prometheus/prometheus). The binary
# lands in ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/promtool-<version>-remove_all_sd/bin/promtool and is rebuilt only
# when it is missing. The last line printed on stdout is that directory. Nothing is written into
# the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(awk -v mod=github.com/prometheus/prometheus '$1 == mod && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [[ -z "$version" ]]; then
  echo "build.sh: cannot read the github.com/prometheus/prometheus version from $here/go.mod" >&2
  exit 2
fi
# remove_all_sd: leave out every service-discovery plugin (the cloud SDKs are most of the build);
# `check rules` and `test rules` need none of them.
tags=remove_all_sd
bin_dir="${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/promtool-$version-$tags/bin"
if [[ -x "$bin_dir/promtool" ]]; then
  echo "$bin_dir"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed; install the Go named in $here/go.mod to build promtool" >&2
  exit 3
fi
mkdir -p "$bin_dir"
# One build at a time per cache directory (parallel Maven runs may call this script).
exec 9>"$bin_dir/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if [[ -x "$bin_dir/promtool" ]]; then
  echo "$bin_dir"
  exit 0
fi
staging="$(mktemp -d "$bin_dir/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
cd "$here"
echo "build.sh: building promtool $version into $bin_dir" >&2
go build -trimpath -tags "$tags" -ldflags "-s -w -X github.com/prometheus/common/version.Version=$version" -o "$staging/promtool" github.com/prometheus/prometheus/cmd/promtool
mv -f "$staging/promtool" "$bin_dir/promtool"
echo "$bin_dir"
