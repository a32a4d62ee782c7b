#!/usr/bin/env bash
# Builds the node bundle: the kubelet image credential provider and the Docker credential helper
# with everything they need, so a node needs no Java.
#
#   acr-credential-node/
#     bin/acr-credential-provider   kubelet plugin    (the kubelet's --image-credential-provider-bin-dir)
#     bin/docker-credential-acr     Docker/Podman/Skopeo credential helper
#     bin/acr-credential            the program (token, ...; `sync` needs the image)
#     bin/install-node              copies the bundle and the provider config onto a node
#     lib/acr-credential.jar        the program jar
#     lib/acr-credential.jsa        AppCDS archive, made here from lib/classes.lst (never on a node)
#     lib/classes.lst               the classes the helper paths load (from a training run here)
#     runtime/                      a Java runtime made with jlink (java.base and a few modules)
#     credential-provider-config.yaml
#
# Usage: build-node-bundle.sh JAR BIN_DIR CONFIG OUT_DIR [LINK_DIR]
#   LINK_DIR (the build's target/bin) gets symlinks to the bundle's launchers.
# The runtime is kept across builds while its module list and the JDK are unchanged; the archive is
# remade on every build (it is only valid for this jar). Needs a JDK with jmods (jlink).
set -euo pipefail
jar=$1 bin_src=$2 config=$3 out=$4 links=${5:-}
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
jlink=$java_home/bin/jlink
if [[ ! -x $jlink || ! -d $java_home/jmods ]]; then
  echo "build-node-bundle.sh: $java_home has no jlink or no jmods; set JAVA_HOME to a full JDK 17+" \
    "(Debian: openjdk-17-jdk-headless), or build without the bundle: -Dnode.bundle.skip=true" >&2
  exit 1
fi
# What the helper commands use beyond java.base: JUL (commons-logging in Alibaba's SDK), XML (the
# SDK's response parser), TLS with elliptic curves, sun.misc.Unsafe (okio, gson), JNDI (DNS
# names in TLS), java.sql (Jackson's date types), java.net.http (doctor's registry login and
# status's metrics read: doctor runs on a node to check the kubelet plugin's configuration). No
# java.desktop: Jackson copes without it.
modules=java.base,java.logging,java.xml,java.naming,java.sql,java.net.http,jdk.crypto.ec,jdk.unsupported
stamp="$modules $("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | grep 'java.runtime.version' | tr -d ' ')"

mkdir -p "$out"
if [[ ! -x "$out/runtime/bin/java" || "$(cat "$out/runtime/.acr-stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -rf "$out/runtime"
  echo "node bundle: jlink $modules"
  "$jlink" --add-modules "$modules" --strip-debug --strip-native-debug-symbols exclude-debuginfo-files \
    --no-header-files --no-man-pages --compress=1 --output "$out/runtime"
  strip --strip-unneeded "$out/runtime/lib/server/libjvm.so" 2>/dev/null || true
  echo "$stamp" > "$out/runtime/.acr-stamp"
fi

rm -rf "$out/bin" "$out/lib"
mkdir -p "$out/bin" "$out/lib"
cp "$jar" "$out/lib/acr-credential.jar"
# A fixed time (the one Jib gives every file of an image): the archive records the jar's size and
# time, and a copy that keeps the time (cp -a, tar, an image layer) keeps the archive valid.
touch -d '1970-01-01T00:00:01Z' "$out/lib/acr-credential.jar"
for f in acr-credential acr-credential-provider docker-credential-acr install-node; do
  cp "$bin_src/$f" "$out/bin/$f"
  chmod 755 "$out/bin/$f"
done
cp "$config" "$out/credential-provider-config.yaml"

# The archive names its class path as /dev/fd/9 (the launcher opens the jar on descriptor 9), so
# it stays valid wherever the bundle is copied, as long as the jar keeps its size and time.
java=$out/runtime/bin/java
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
  exec 9<"$out/lib/acr-credential.jar"
  HOME=$work TMPDIR=$work "$java" -Xshare:off -Djava.io.tmpdir="$work" \
    -XX:DumpLoadedClassList="$out/lib/classes.lst" -XX:+UseSerialGC -cp /dev/fd/9 \
    io.acrcredential.examples.Main __cds-training </dev/null >/dev/null 2>"$work/training.err" \
    || { echo "node bundle: training run failed:" >&2; cat "$work/training.err" >&2; exit 1; }
  "$java" -Xshare:dump -XX:SharedClassListFile="$out/lib/classes.lst" \
    -XX:SharedArchiveFile="$out/lib/acr-credential.jsa" -XX:+UseSerialGC -cp /dev/fd/9 \
    -Xlog:cds=error >"$work/dump.log" 2>&1 \
    || { echo "node bundle: archive dump failed:" >&2; cat "$work/dump.log" >&2; exit 1; }
)
chmod 644 "$out/lib/acr-credential.jsa"
if [[ -n "$links" ]]; then
  rm -rf "$links"
  mkdir -p "$links"
  for f in acr-credential acr-credential-provider docker-credential-acr install-node; do
    ln -s "$(realpath --relative-to="$links" "$out/bin/$f")" "$links/$f"
  done
fi
echo "node bundle: $out ($(du -sh "$out" | cut -f1); runtime $(du -sh "$out/runtime" | cut -f1)," \
  "archive $(du -sh "$out/lib/acr-credential.jsa" | cut -f1), $(wc -l < "$out/lib/classes.lst") classes)"
