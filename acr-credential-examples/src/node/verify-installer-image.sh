#!/usr/bin/env bash
# Checks the node installer image (build-installer-image.sh) against the DaemonSet that uses it
# (src/main/deploy/node-installer.yaml), without a container engine: unpacks the image's layers,
# then runs the DaemonSet's containers from it as the manifest says (command, user, capabilities:
# ALL dropped but the ones it adds, no new privileges, read-only root file system, the hostPath
# volumes bound at their mountPaths) against a scratch host root, in private mount and PID
# namespaces. Then, on that host root, the installed kubelet plugin answers a
# CredentialProviderRequest against the fake ACR on 127.0.0.1 with -Xshare:on (the JVM refuses to
# start unless the AppCDS archive is still valid after the image layer and the copy).
#
# Usage (root; after `mvn -B -pl acr-credential-examples -am verify`, or package + test-compile,
# and build-installer-image.sh):
#   bash acr-credential-examples/src/node/verify-installer-image.sh [IMAGE_TAR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
ex=acr-credential-examples
image="$(realpath "${1:-$ex/target/acr-credential-node-installer.tar}")"
manifest=$ex/src/main/deploy/node-installer.yaml
[[ "$(id -u)" == 0 ]] || { echo "verify-installer-image.sh: run as root (chroot, mounts)" >&2; exit 1; }
[[ -s $image ]] || { echo "verify-installer-image.sh: no image at $image (build-installer-image.sh)" >&2; exit 1; }

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

work=$(mktemp -d)
fake=
cleanup() {
  if [[ -n $fake ]]; then kill "$fake" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# What the DaemonSet runs, read from the manifest itself.
python3 - "$manifest" > "$work/spec.sh" <<'PY'
import shlex, sys, yaml
ds = yaml.safe_load(open(sys.argv[1]))
spec = ds["spec"]["template"]["spec"]
init = spec["initContainers"][0]
idle = spec["containers"][0]
paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
def q(words): return " ".join(shlex.quote(str(w)) for w in words)
print("install_cmd=(%s)" % q(init["command"]))
sc = init["securityContext"]
print("install_uid=%d" % sc["runAsUser"])
print("install_caps=(%s)" % q(sc["capabilities"].get("add", [])))
print("install_drop=%s" % shlex.quote(",".join(sc["capabilities"]["drop"])))
print("install_ro=%s" % str(sc.get("readOnlyRootFilesystem", False)).lower())
print("install_mounts=(%s)" % q(f"{paths[m['name']]}={m['mountPath']}" for m in init["volumeMounts"]))
print("idle_cmd=(%s)" % q(idle["command"]))
print("idle_uid=%d" % idle["securityContext"]["runAsUser"])
print("image_same=%s" % str(init["image"] == idle["image"]).lower())
PY
. "$work/spec.sh"
echo "init container: ${install_cmd[*]} (uid $install_uid, caps ${install_caps[*]}, mounts ${install_mounts[*]})"
echo "idle container: ${idle_cmd[*]} (uid $idle_uid)"
[[ $install_drop == ALL ]] && pass "the init container drops ALL capabilities (adds ${install_caps[*]})" \
  || fail "the init container drops '$install_drop', not ALL"
[[ $image_same == true ]] && pass "both containers use the one installer image" || fail "two images to pull"

# The image's layers (gzip or plain tar), in manifest order.
rootfs=$work/rootfs
mkdir -p "$rootfs"
tar -xf "$image" -C "$work" manifest.json
mapfile -t layers < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$work/manifest.json")
for layer in "${layers[@]}"; do
  tar -xOf "$image" "$layer" | tar -xz --numeric-owner -C "$rootfs" 2>/dev/null \
    || tar -xOf "$image" "$layer" | tar -x --numeric-owner -C "$rootfs"
done
echo "image $image ($(du -h "$image" | cut -f1)): ${#layers[@]} layer(s), $(du -sh "$rootfs" | cut -f1) unpacked"

# A scratch node: the hostPath directories (DirectoryOrCreate) under $work/host.
host=$work/host
mkdir -p "$host"
for m in "${install_mounts[@]}"; do mkdir -p "$host${m%%=*}"; done

# Runs a command from the image like a container: private mount and PID namespaces, the image's
# root read-only (when the manifest says so), hostPath volumes bound read-write, /proc and /tmp,
# then chroot, the user, the capability bounding set and no_new_privs.
container() { # uid ro caps(comma list or -) command...
  local uid=$1 ro=$2 caps=$3
  shift 3
  unshare --mount --pid --fork bash -s -- "$rootfs" "$host" "$uid" "$ro" "$caps" "${install_mounts[*]}" "$@" <<'NS'
set -eu
rootfs=$1 host=$2 uid=$3 ro=$4 caps=$5 mounts=$6
shift 6
mount --make-rprivate /
mount --bind "$rootfs" "$rootfs"
for m in $mounts; do
  mkdir -p "$rootfs${m#*=}"
  mount --bind "$host${m%%=*}" "$rootfs${m#*=}"
done
mount -t tmpfs -o size=8m tmpfs "$rootfs/tmp"
# the devices every container runtime gives a container
mount -t tmpfs -o size=64k,mode=755 tmpfs "$rootfs/dev"
for d in null zero urandom; do touch "$rootfs/dev/$d"; mount --bind "/dev/$d" "$rootfs/dev/$d"; done
if [ "$ro" = true ]; then mount -o remount,bind,ro "$rootfs"; fi
exec python3 - "$rootfs" "$uid" "$caps" "$@" <<'PY'
import ctypes, os, sys
rootfs, uid, caps, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
names = {"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3}
keep = {names[c] for c in caps.split(",") if c and c != "-"}
libc = ctypes.CDLL(None, use_errno=True)
os.chroot(rootfs)
os.chdir("/")
last = int(open("/proc/sys/kernel/cap_last_cap").read()) if os.path.exists("/proc/sys/kernel/cap_last_cap") else 40
for cap in range(0, last + 1):
    if cap not in keep and libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")
if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
    raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
if uid != 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
os.environ.clear()
os.environ["PATH"] = "/bin"
os.execv(argv[0], argv)
PY
NS
}

caps=$(IFS=,; echo "${install_caps[*]}")
if container "$install_uid" "$install_ro" "$caps" "${install_cmd[@]}" > "$work/install.out" 2>&1; then
  pass "the init container installed the bundle (its own command, uid $install_uid, caps $caps, read-only root)"
else
  fail "the init container failed: $(cat "$work/install.out")"
fi
sed 's/^/     | /' "$work/install.out"
grep -q -- '--image-credential-provider-config=/etc/kubernetes/acr-credential-provider.yaml' "$work/install.out" \
  && grep -q -- '--image-credential-provider-bin-dir=/opt/acr-credential/bin' "$work/install.out" \
  && pass "its log says which kubelet flags to add" || fail "its log does not name the kubelet flags"
installed=$host/opt/acr-credential
[[ -x $installed/bin/acr-credential-provider && -x $installed/runtime/bin/java ]] \
  && pass "bundle in the host's /opt/acr-credential" || fail "no bundle in the host's /opt/acr-credential"
grep -q '^kind: CredentialProviderConfig' "$host/etc/kubernetes/acr-credential-provider.yaml" 2>/dev/null \
  && pass "CredentialProviderConfig in the host's /etc/kubernetes" || fail "no CredentialProviderConfig on the host"
[[ "$(stat -c %u "$installed/lib/acr-credential.jar")" == 0 && -z "$(find "$installed" -perm /022 ! -type l)" ]] \
  && pass "installed files owned by root, not writable by others" || fail "installed files have the wrong owner or mode"
if container "$idle_uid" true - "${idle_cmd[0]}" 0 > "$work/idle.out" 2>&1; then
  pass "the idle container's command runs from the image as uid $idle_uid (${idle_cmd[*]}, here with 0)"
else
  fail "the idle container's command failed: $(cat "$work/idle.out")"
fi
if container "$install_uid" "$install_ro" "$caps" "${install_cmd[@]}" > "$work/again.out" 2>&1; then
  pass "a second run (pod restart, upgrade) replaces its own bundle and config"
else
  fail "a second run failed: $(cat "$work/again.out")"
fi

# The installed plugin on the scratch host, as the kubelet would run it.
java -cp "$ex/target/acr-credential.jar:acr-credential-testing/target/classes:$ex/target/test-classes" \
  io.acrcredential.examples.FakeCloudServer > "$work/endpoint" 2>"$work/fake.log" &
fake=$!
for _ in $(seq 100); do [[ -s $work/endpoint ]] && break; sleep 0.2; done
endpoint=$(cat "$work/endpoint")
request='{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.cn-hangzhou.aliyuncs.com/team/app:1"}'
mkdir -p "$work/home"
answer=$(printf '%s' "$request" | env -i PATH=/usr/bin:/bin HOME="$work/home" ACR_CREDENTIAL_SOURCE=default-chain \
  ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tExamplesCli01 ALIBABA_CLOUD_ACCESS_KEY_SECRET=examplesCliSecret0123456789 \
  ACR_CREDENTIAL_ACR_ENDPOINT="$endpoint" ACR_CREDENTIAL_JAVA_OPTS=-Xshare:on \
  "$installed/bin/acr-credential-provider" 2>&1) || true
echo "     | $(sed 's/"password":"[^"]*"/"password":"<redacted>"/' <<<"$answer")"
[[ $answer == '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse"'*'"username":"cr_temp_user","password":"'????????* ]] \
  && pass "the installed plugin answers with the archive valid (-Xshare:on)" || fail "the installed plugin did not answer"

if ((failures)); then
  echo "verify-installer-image.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "verify-installer-image.sh: all checks passed"
