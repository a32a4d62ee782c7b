#!/bin/sh
# Measures the launchers' invocation times against the fake ACR (loopback), with hyperfine.
# Run from the repository root after `mvn -B -pl acr-credential-examples -am verify` (or package):
#   sh acr-credential-examples/src/test/bench/measure.sh [runs]
# "cold" = empty token cache (one ACR GetAuthorizationToken call per run);
# "warm" = token served from the disk cache; each with and without the AppCDS archive.
set -eu
runs=${1:-15}
ex=acr-credential-examples
bin=$ex/target/bin
work=$(mktemp -d)
trap 'kill $fake 2>/dev/null; rm -rf "$work"' EXIT
java -cp "$ex/target/acr-credential.jar:acr-credential-testing/target/classes:$ex/target/test-classes" \
  io.acrcredential.examples.FakeCloudServer > "$work/endpoint" &
fake=$!
while [ ! -s "$work/endpoint" ]; do sleep 0.2; done
export ACR_CREDENTIAL_ACR_ENDPOINT=$(cat "$work/endpoint")
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tExamplesCli01 ALIBABA_CLOUD_ACCESS_KEY_SECRET=examplesCliSecret0123456789
export ACR_CREDENTIAL_SOURCE=default-chain ACR_CREDENTIAL_DOMAINS=127.0.0.1:5000=cn-hangzhou/cri-bench0001
export HOME=$work/home ACR_CREDENTIAL_CDS_DIR=$work/cds
mkdir -p "$HOME"
printf '%s' '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"127.0.0.1:5000/team/app:1"}' > "$work/request.txt"
printf '127.0.0.1:5000' > "$work/host"
"$bin/docker-credential-acr" version > /dev/null # creates the AppCDS archive (training run)
clear="rm -rf $HOME/.cache/acr-credential/tokens"
for cds in on off; do
  export ACR_CREDENTIAL_CDS=$cds
  hyperfine --runs "$runs" --warmup 2 --style basic --export-json "$work/cold-$cds.json" \
    --prepare "$clear" \
    -n "docker-credential-acr get, cold, CDS $cds" "$bin/docker-credential-acr get < $work/host" \
    -n "acr-credential-provider, cold, CDS $cds" "$bin/acr-credential-provider < $work/request.txt"
  hyperfine --runs "$runs" --warmup 2 --style basic --export-json "$work/warm-$cds.json" \
    -n "docker-credential-acr get, warm, CDS $cds" "$bin/docker-credential-acr get < $work/host" \
    -n "acr-credential-provider, warm, CDS $cds" "$bin/acr-credential-provider < $work/request.txt"
done
echo
echo "median seconds:"
for f in "$work"/*.json; do
  python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]: print("  %-48s %.3f" % (r["command"], r["median"]))' "$f"
done
