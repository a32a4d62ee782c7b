#!/usr/bin/env bash
# Builds promtool from the Go module proxy: promtool (check rules and test rules on the alerting rules).
#
# The version is the one pinned in go.mod/go.sum next to this script (module github.com/prometheus/prometheus). The binary
# lands in ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/promtool-<version>-remove_all_sd/bin/promtool and is rebuilt only
# when it is missing. The last line printed on stdout is that directory (../lib/cached-go-build.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/cached-go-build.sh"
version="$(go_mod_version github.com/prometheus/prometheus)"
# remove_all_sd: leave out every service-discovery plugin (the cloud SDKs are most of the build);
# `check rules` and `test rules` need none of them.
tags=remove_all_sd
bin_dir="$(cache_bin_dir "promtool-$version-$tags")"

build() {
  echo "build.sh: building promtool $version into $bin_dir" >&2
  go build -trimpath -tags "$tags" -ldflags "-s -w -X github.com/prometheus/common/version.Version=$version" -o "$1/promtool" github.com/prometheus/prometheus/cmd/promtool
}
cached_go_build "$bin_dir" "install the Go named in $here/go.mod to build promtool" build promtool
