#!/bin/sh
# Measures the node bundle's launchers (target/acr-credential-node: bundled runtime, AppCDS archive
# made at build time) against the fake ACR on loopback, side by side with a Java hello world that
# runs on the same runtime with the same JVM options and its own AppCDS archive, with hyperfine.
# Run from the repository root after `mvn -B -pl acr-credential-examples -am verify` (or
# `package` + `test-compile`):
#   sh acr-credential-examples/src/test/bench/measure.sh [runs]
# "warm" = token served from the disk cache (the common case for both the kubelet plugin and the
# Docker helper); "cold" = empty cache, one ACR GetAuthorizationToken call per run.
set -eu
runs=${1:-30}
ex=acr-credential-examples
bundle=$ex/target/acr-credential-node
bin=$bundle/bin
java=$bundle/runtime/bin/java
work=$(mktemp -d)
trap 'kill $fake 2>/dev/null; rm -rf "$work"' EXIT
java -cp "$ex/target/acr-credential.jar:acr-credential-testing/target/classes:$ex/target/test-classes" \
  io.acrcredential.examples.FakeCloudServer > "$work/endpoint" &
fake=$!
while [ ! -s "$work/endpoint" ]; do sleep 0.2; done
export ACR_CREDENTIAL_ACR_ENDPOINT=$(cat "$work/endpoint")
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tExamplesCli01 ALIBABA_CLOUD_ACCESS_KEY_SECRET=examplesCliSecret0123456789
export ACR_CREDENTIAL_SOURCE=default-chain ACR_CREDENTIAL_DOMAINS=127.0.0.1:5000=cn-hangzhou/cri-bench0001
export HOME=$work/home
mkdir -p "$HOME"
printf '%s' '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"127.0.0.1:5000/team/app:1"}' > "$work/request.txt"
printf '127.0.0.1:5000' > "$work/host"

# The yardstick: hello world on the bundle's runtime, same options as the launcher, own archive.
mkdir -p "$work/hello"
cat > "$work/hello/Hello.java" <<'JAVA'
public class Hello {
  public static void main(String[] args) {
    System.out.println("hello");
  }
}
JAVA
javac --release 17 -d "$work/hello" "$work/hello/Hello.java"
jar --create --file "$work/hello.jar" -C "$work/hello" Hello.class
opts="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xss512k"
opts="$opts -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0"
"$java" -Xshare:off -XX:DumpLoadedClassList="$work/hello.lst" $opts -cp "$work/hello.jar" Hello >/dev/null
"$java" -Xshare:dump -XX:SharedClassListFile="$work/hello.lst" -XX:SharedArchiveFile="$work/hello.jsa" \
  $opts -cp "$work/hello.jar" >/dev/null 2>&1
hello="$java -XX:SharedArchiveFile=$work/hello.jsa $opts -cp $work/hello.jar Hello"

"$bin/docker-credential-acr" get < "$work/host" > /dev/null # fills the disk cache
hyperfine --runs "$runs" --warmup 3 --style basic --export-json "$work/warm.json" \
  -n "java hello world, AppCDS" "$hello" \
  -n "docker-credential-acr get, warm" "$bin/docker-credential-acr get < $work/host" \
  -n "acr-credential-provider, warm" "$bin/acr-credential-provider < $work/request.txt"
clear="rm -rf $HOME/.cache/acr-credential/tokens"
hyperfine --runs "$runs" --warmup 2 --style basic --export-json "$work/cold.json" \
  --prepare "$clear" \
  -n "docker-credential-acr get, cold" "$bin/docker-credential-acr get < $work/host" \
  -n "acr-credential-provider, cold" "$bin/acr-credential-provider < $work/request.txt"
echo
echo "median wall-clock seconds and mean CPU seconds (user+system), each with its ratio to the hello world:"
python3 - "$work/warm.json" "$work/cold.json" <<'PY'
import json, sys
rows = [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]
hello = next(r for r in rows if r["command"].startswith("java hello"))
hcpu = hello["user"] + hello["system"]
for r in rows:
    cpu = r["user"] + r["system"]
    print("  %-36s wall %.3f s %4.1fx   cpu %.3f s %4.1fx"
          % (r["command"], r["median"], r["median"] / hello["median"], cpu, cpu / hcpu))
PY
uptime
