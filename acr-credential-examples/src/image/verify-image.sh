#!/usr/bin/env bash
# Checks the Jib image tarball without a container engine: reads its configuration with skopeo,
# unpacks its layers into a temporary root file system and runs the image's own entrypoint there
# (chroot as the image's user, in private mount and PID namespaces, the root read-only and a
# tmpfs on /tmp as in deploy/base/deployment.yaml).
#
# Usage: verify-image.sh [IMAGE_TAR]
#   IMAGE_TAR defaults to acr-credential-examples/target/acr-credential-image.tar. Needs root
#   (chroot, mounts) and skopeo. Runs every check, then exits non-zero if any failed.
#   When the local Kubernetes binaries are cached (test-infra/kube/build.sh, the directory
#   ${ACR_KUBE_CACHE:-~/.cache/acr-credential}) and the demo jar is built
#   (acr-credential-demo/target/acr-credential-demo.jar), it also runs the image's `sync --once`
#   against a real kube-apiserver (TLS) and the fake ACR started outside the image by the demo jar's
#   `demo-fixtures` (the image carries no test code), all on loopback, and checks what it wrote.
#   Set ACR_IMAGE_SYNC=false to skip it, =true to fail when the binaries or the demo jar are
#   missing (ACR_IMAGE_DEMO, its former name, is still read).
#
# Offline, from a clean clone (the base image comes from Debian packages, see build-base.sh):
#   base=$(bash acr-credential-examples/src/image/build-base.sh)
#   mvn -B -pl acr-credential-examples -am package -DskipTests -Pimage -Djib.from.image=tar://$base
#   bash acr-credential-examples/src/image/verify-image.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
image="$(realpath "${1:-$here/../../target/acr-credential-image.tar}")"
[[ -s "$image" ]] || { echo "verify-image.sh: no image tarball at $image (build it with -Pimage)" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || { echo "verify-image.sh: run as root (chroot and mounts)" >&2; exit 1; }
command -v skopeo >/dev/null || { echo "verify-image.sh: skopeo missing (apt-get install skopeo)" >&2; exit 1; }

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# One field of the image configuration, one value per line.
field() { skopeo inspect --config --format "$1" "docker-archive:$image" | sed '/^$/d'; }
user="$(field '{{.Config.User}}')"
mapfile -t entrypoint < <(field '{{range .Config.Entrypoint}}{{println .}}{{end}}')
mapfile -t cmd < <(field '{{range .Config.Cmd}}{{println .}}{{end}}')
mapfile -t env < <(field '{{range .Config.Env}}{{println .}}{{end}}')
layers="$(skopeo inspect --format '{{len .Layers}}' "docker-archive:$image")"
echo "image $image ($(du -h "$image" | cut -f1)): $layers layers, user '$user'"
echo "  entrypoint: ${entrypoint[*]}"
echo "  cmd:        ${cmd[*]}"

uid="${user%%:*}"
if [[ "$uid" =~ ^[0-9]+$ && "$uid" != 0 ]]; then pass "user $user is a numeric non-root uid"; else fail "user '$user' is not a numeric non-root uid"; fi
[[ "${entrypoint[0]:-}" == java ]] && pass "entrypoint starts the JVM" || fail "entrypoint '${entrypoint[*]}' does not start java"
[[ "${cmd[*]}" == sync ]] && pass "default command is 'sync' (the refresher)" || fail "default command '${cmd[*]}' is not 'sync'"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"
# Layers in manifest order (Jib's layers add files only: no whiteouts to apply).
tar -xf "$image" -C "$work" manifest.json
mapfile -t layer_files < <(tr -d '\n ' <"$work/manifest.json" | grep -o '"Layers":\[[^]]*\]' \
  | grep -o '"[^"]*"' | tail -n +2 | tr -d '"')
for layer in "${layer_files[@]}"; do
  tar -xOf "$image" "$layer" | tar -xz --numeric-owner -C "$rootfs" 2>/dev/null \
    || tar -xOf "$image" "$layer" | tar -x --numeric-owner -C "$rootfs"
done
echo "unpacked ${#layer_files[@]} layers: $(du -sh "$rootfs" | cut -f1) on disk"

mkdir -p "$rootfs/cache" # mount point for the sync check's kubeconfig
[[ ! -e "$rootfs/bin/sh" && ! -e "$rootfs/usr/bin/sh" ]] && pass "no shell in the image" || fail "the image has a shell"
owner="$(stat -c %u "$rootfs/home/nonroot" 2>/dev/null || echo missing)"
[[ "$owner" == "$uid" ]] && pass "home /home/nonroot owned by $uid" || fail "/home/nonroot owner $owner, expected $uid"

# Runs the image's entrypoint (or, with --raw, a command) the way the Deployment runs it: the
# image's environment only (plus $extra_env), its user, its root read-only with a fresh tmpfs on
# /tmp (readOnlyRootFilesystem + an emptyDir), /proc of a new PID namespace, the host's /dev;
# $mount_cache, if set, is bound read-only at /cache. Output in $work/out, status returned.
extra_env=()
mount_cache=""
run() {
  local -a argv
  if [[ "$1" == --raw ]]; then shift; argv=("$@"); else argv=("${entrypoint[@]}" "$@"); fi
  unshare --mount --pid --fork bash -c 'set -e
      root="$0"
      mount --bind "$root" "$root"
      mount -o remount,bind,ro "$root"
      mount -t proc proc "$root/proc"
      mount --rbind /dev "$root/dev"
      mount -t tmpfs -o mode=1777,size=256m tmpfs "$root/tmp"
      if [[ -n "$1" ]]; then
        mount --bind "$1" "$root/cache"
        mount -o remount,bind,ro "$root/cache"
      fi
      shift
      exec "$@"' "$rootfs" "$mount_cache" \
    env -i "${env[@]}" "${extra_env[@]}" /usr/sbin/chroot --userspec="$user" "$rootfs" \
    "${argv[@]}" >"$work/out" 2>&1
}
expect() { # description, expected status, grep pattern, command...
  local what="$1" status="$2" pattern="$3" rc=0
  shift 3
  run "$@" || rc=$?
  if [[ "$rc" == "$status" ]] && grep -qE -- "$pattern" "$work/out"; then
    pass "$what"
  else
    fail "$what: exit $rc (expected $status), output:"
    sed 's/^/     | /' "$work/out"; echo
  fi
}

# The JVM opening a log file: refused on the root (as with readOnlyRootFilesystem), fine in /tmp.
expect "the root file system is read-only" 1 'Read-only file system' \
  --raw java -Xlog:gc:file=/home/nonroot/probe.log -version
expect "/tmp is writable for the image user" 0 'openjdk version "17' \
  --raw java -Xlog:gc:file=/tmp/probe.log -version
expect "java runs as nonroot with UTF-8 defaults" 0 'user.name = nonroot' \
  --raw java -XshowSettings:properties -version
grep -q 'sun.jnu.encoding = UTF-8' "$work/out" && pass "file names are UTF-8 (LANG=C.UTF-8)" \
  || fail "sun.jnu.encoding is not UTF-8"
expect "runtime has TLS elliptic-curve support (jdk.crypto.ec)" 0 '^jdk\.crypto\.ec' \
  --raw java --list-modules
expect "entrypoint --help lists the commands" 0 'sync +keep Kubernetes pull Secrets fresh' --help
expect "entrypoint token --help" 0 '--region' token --help
expect "entrypoint sync --help" 0 '--configmap' sync --help
expect "entrypoint sync --once with a missing file: one clear line, exit 1" 1 \
  '^error: cannot read configuration file /nonexistent' sync --once --config /nonexistent

kube_cache="${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}"
demo_jar="$here/../../../acr-credential-demo/target/acr-credential-demo.jar"
want_sync="${ACR_IMAGE_SYNC:-${ACR_IMAGE_DEMO:-}}"
if [[ "$want_sync" != false ]] && compgen -G "$kube_cache/kube-*/bin/kube-apiserver" >/dev/null \
    && [[ -f "$demo_jar" ]]; then
  # The fixtures run outside the image with the host's Java; the image reaches them on loopback
  # (same network namespace) and reads the kubeconfig from /cache, bound read-only.
  fixtures="$work/fixtures"
  mkdir -p "$fixtures"
  chmod 755 "$work" "$fixtures"
  mkfifo "$work/fixtures.in"
  ACR_KUBE_CACHE="$kube_cache" java -jar "$demo_jar" demo-fixtures --dir "$fixtures" \
    <"$work/fixtures.in" >"$work/fixtures.out" 2>"$work/fixtures.err" &
  fixtures_pid=$!
  exec 7>"$work/fixtures.in" # holds the fixtures' stdin open until the check
  for _ in $(seq 300); do
    grep -q '^ready$' "$work/fixtures.out" 2>/dev/null && break
    kill -0 "$fixtures_pid" 2>/dev/null || break
    sleep 0.2
  done
  if grep -q '^ready$' "$work/fixtures.out"; then
    mount_cache="$fixtures"
    mapfile -t extra_env <"$fixtures/env"
    start=$SECONDS
    expect "entrypoint sync --once: the refresher against a real kube-apiserver (TLS) and the fake ACR" 0 \
      'synced 2 namespace\(s\) in scope: [1-9][0-9]* Secret\(s\) created, .* 4 ServiceAccount\(s\) patched' \
      sync --once --kubeconfig /cache/kubeconfig --configmap kube-system/acr-configuration
    echo "     (sync --once took $((SECONDS - start)) s)"
    mount_cache=""
    extra_env=()
  else
    fail "demo-fixtures did not start: $(cat "$work/fixtures.err")"
  fi
  exec 7>&-
  if wait "$fixtures_pid"; then
    pass "what the image's sync wrote: $(grep '^verified' "$work/fixtures.out")"
  else
    fail "the image's sync did not write what it must: $(grep -v '^ready$' "$work/fixtures.out") $(cat "$work/fixtures.err")"
  fi
elif [[ "$want_sync" == true ]]; then
  fail "ACR_IMAGE_SYNC=true but no kube binaries under $kube_cache (bash test-infra/kube/build.sh) or no $demo_jar"
elif [[ "$want_sync" == false ]]; then
  echo "skip sync --once: ACR_IMAGE_SYNC=false"
else
  echo "skip sync --once: no kube binaries under $kube_cache or no demo jar (mvn package)"
fi

if ((failures)); then
  echo "verify-image.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "verify-image.sh: all checks passed"
