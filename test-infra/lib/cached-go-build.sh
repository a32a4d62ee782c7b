# Sourced by test-infra/*/build.sh: the caching every tool build shares. A script sets `here` (its
# own directory, holding the go.mod/go.sum that pin what it builds) and then:
#   version="$(go_mod_version <module>)"                       # from $here/go.mod, no Go needed
#   bin_dir="$(cache_bin_dir <name>-$version)"                 # ${ACR_KUBE_CACHE:-~/.cache/acr-credential}/…/bin
#   cached_go_build "$bin_dir" "<hint>" <build-function> <binary>...
# cached_go_build prints the bin dir and exits at once when every binary is there; otherwise it
# needs Go (else exit 3 with the hint), takes a lock per cache directory (parallel Maven runs may call
# a script), calls <build-function> <staging dir> in $here with CGO_ENABLED=0 and -mod=readonly,
# moves the binaries into place and prints the bin dir as the last line on stdout. Set
# CACHED_NOTE to a line for stderr in the cached case. Nothing is written into the repository.

go_mod_version() {
  local version
  version="$(awk -v mod="$1" '$1 == mod && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
  if [[ -z "$version" ]]; then
    echo "build.sh: cannot read the $1 version from $here/go.mod" >&2
    exit 2
  fi
  echo "$version"
}

cache_bin_dir() {
  echo "${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/$1/bin"
}

# Whether every binary named after the bin dir is an executable in it.
_cached_all_present() {
  local dir="$1" b
  shift
  for b in "$@"; do
    [[ -x "$dir/$b" ]] || return 1
  done
}

cached_go_build() {
  local bin_dir="$1" hint="$2" build="$3"
  shift 3
  if _cached_all_present "$bin_dir" "$@"; then
    if [[ -n "${CACHED_NOTE:-}" ]]; then
      echo "$CACHED_NOTE" >&2
    fi
    echo "$bin_dir"
    exit 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "build.sh: Go is not installed; $hint" >&2
    exit 3
  fi
  mkdir -p "$bin_dir"
  exec 9>"$bin_dir/.build.lock"
  if command -v flock >/dev/null 2>&1; then
    flock 9
  fi
  if _cached_all_present "$bin_dir" "$@"; then
    echo "$bin_dir"
    exit 0
  fi
  staging="$(mktemp -d "$bin_dir/.staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  export CGO_ENABLED=0
  export GOFLAGS="${GOFLAGS:-} -mod=readonly"
  cd "$here"
  "$build" "$staging"
  local b
  for b in "$@"; do
    mv -f "$staging/$b" "$bin_dir/$b"
  done
  echo "$bin_dir"
}
