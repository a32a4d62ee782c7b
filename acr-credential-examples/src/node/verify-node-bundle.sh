#!/usr/bin/env bash
# Checks the node bundle on a machine where no Java is visible: installs it with its own
# install-node into a scratch host root, then, in a private mount namespace with /usr/lib/jvm (and
# /opt/java) hidden under empty tmpfs mounts, runs the installed kubelet plugin and Docker helper
# against the fake ACR on 127.0.0.1 (started outside the namespace). -Xshare:on makes the JVM fail
# unless the AppCDS archive made at build time is valid at the installed path.
#
# Usage (root; after `mvn -B -pl acr-credential-examples -am verify`, or package + test-compile):
#   bash acr-credential-examples/src/node/verify-node-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
ex=acr-credential-examples
bundle=$ex/target/acr-credential-node
[[ "$(id -u)" == 0 ]] || { echo "verify-node-bundle.sh: run as root (mount namespace)" >&2; exit 1; }
[[ -x $bundle/bin/install-node ]] || { echo "verify-node-bundle.sh: no bundle in $bundle (mvn package)" >&2; exit 1; }

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

work=$(mktemp -d)
fake=
trap '[[ -n $fake ]] && kill $fake 2>/dev/null; rm -rf "$work"' EXIT
java -cp "$ex/target/acr-credential.jar:acr-credential-testing/target/classes:$ex/target/test-classes" \
  io.acrcredential.examples.FakeCloudServer > "$work/endpoint" 2>"$work/fake.log" &
fake=$!
for _ in $(seq 100); do [[ -s $work/endpoint ]] && break; sleep 0.2; done
endpoint=$(cat "$work/endpoint")
[[ $endpoint == http://127.0.0.1:* ]] || { echo "fake ACR did not start: $(cat "$work/fake.log")" >&2; exit 1; }

host_root=$work/host
if "$bundle/bin/install-node" --host-root "$host_root" > "$work/install.out" 2>&1; then
  pass "install-node copied the bundle and wrote the provider config"
else
  fail "install-node: $(cat "$work/install.out")"
fi
grep -q -- '--image-credential-provider-bin-dir=/opt/acr-credential/bin' "$work/install.out" \
  && pass "install-node prints the kubelet flags" || fail "install-node did not print the kubelet flags"
grep -q '^kind: CredentialProviderConfig' "$host_root/etc/kubernetes/acr-credential-provider.yaml" \
  && pass "CredentialProviderConfig in /etc/kubernetes" || fail "no CredentialProviderConfig written"
other=$work/host2/etc/kubernetes/acr-credential-provider.yaml
mkdir -p "$(dirname "$other")"
echo "# someone else's" > "$other"
if "$bundle/bin/install-node" --host-root "$work/host2" >/dev/null 2>&1; then
  fail "install-node overwrote a config file it did not write (or did not say so)"
else
  [[ "$(cat "$other")" == "# someone else's" ]] && pass "install-node leaves a foreign config alone (exit 1)" \
    || fail "install-node changed a config file it did not write"
fi
if "$bundle/bin/install-node" --host-root "$host_root" >/dev/null 2>&1; then
  pass "install-node again replaces its own bundle and config"
else
  fail "a second install-node failed"
fi
installed=$host_root/opt/acr-credential

request='{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.cn-hangzhou.aliyuncs.com/team/app:1"}'
# In a new mount namespace: hide every JDK, then run what the kubelet and docker would run, with
# only the environment the provider config would give it.
unshare --mount --fork bash -s -- "$installed" "$endpoint" "$request" "$work/home" > "$work/ns.out" 2>&1 <<'NS' || true
set -u
installed=$1 endpoint=$2 request=$3 home=$4
mount --make-rprivate /
for d in /usr/lib/jvm /opt/java; do [[ -d $d ]] && mount -t tmpfs -o size=1m tmpfs "$d"; done
echo "jdk-dirs: $(ls -A /usr/lib/jvm | wc -l) entries in /usr/lib/jvm"
if java -version >/dev/null 2>&1; then echo "java-on-path: yes"; else echo "java-on-path: no"; fi
mkdir -p "$home"
run() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" ACR_CREDENTIAL_SOURCE=default-chain \
    ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tExamplesCli01 ALIBABA_CLOUD_ACCESS_KEY_SECRET=examplesCliSecret0123456789 \
    ACR_CREDENTIAL_ACR_ENDPOINT="$endpoint" ACR_CREDENTIAL_JAVA_OPTS=-Xshare:on "$@"
}
echo "plugin: $(printf '%s' "$request" | run "$installed/bin/acr-credential-provider" 2>&1) (exit $?)"
echo "plugin-warm: $(printf '%s' "$request" | run "$installed/bin/acr-credential-provider" 2>&1) (exit $?)"
echo "helper: $(printf 'registry.cn-hangzhou.aliyuncs.com' | run "$installed/bin/docker-credential-acr" get 2>&1) (exit $?)"
NS
sed 's/"password":"[^"]*"/"password":"<redacted>"/; s/"Secret":"[^"]*"/"Secret":"<redacted>"/' "$work/ns.out" | sed 's/^/     | /'
grep -q '^jdk-dirs: 0 entries' "$work/ns.out" && grep -q '^java-on-path: no' "$work/ns.out" \
  && pass "no JDK visible in the namespace" || fail "a JDK is still visible in the namespace"
grep -q '^plugin: {"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"[0-9hms.]*","auth":{"registry.cn-hangzhou.aliyuncs.com":{"username":"cr_temp_user","password":"[^"]\{8,\}"}}} (exit 0)$' "$work/ns.out" \
  && pass "the installed plugin answers a CredentialProviderRequest without a JDK (archive valid)" \
  || fail "the installed plugin did not answer"
grep -q '^plugin-warm: {.*"username":"cr_temp_user".*} (exit 0)$' "$work/ns.out" \
  && pass "a second call answers from the disk cache" || fail "the warm plugin call did not answer"
grep -q '^helper: {"ServerURL":"registry.cn-hangzhou.aliyuncs.com","Username":"cr_temp_user","Secret":"[^"]\{8,\}"} (exit 0)$' "$work/ns.out" \
  && pass "the installed Docker helper answers without a JDK" || fail "the Docker helper did not answer"

if ((failures)); then
  echo "verify-node-bundle.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "verify-node-bundle.sh: all checks passed ($(du -sh "$installed" | cut -f1) installed; runtime $(du -sh "$installed/runtime" | cut -f1))"
