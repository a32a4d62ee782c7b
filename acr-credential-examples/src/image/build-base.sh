#!/usr/bin/env bash
# Builds a small Java 17 base image for the `image` profile (Jib) without a container registry
# or a Docker daemon, from Debian packages only:
#
#   - a Java runtime cut with jlink from the Debian openjdk-17 JDK (only the modules the jar uses);
#   - the shared libraries it needs, unpacked from the Debian packages libc6, libgcc-s1,
#     libstdc++6 and zlib1g (no shell, no package manager, no coreutils), the C.UTF-8 locale from
#     libc-bin and /etc/os-release from base-files;
#   - /etc/passwd with a non-root user `nonroot` (65532:65532), /tmp, and a dpkg status.d entry
#     per package so image scanners can match Debian advisories.
#
# The root file system is packed as one reproducible layer (sorted, numeric owners, fixed mtime),
# written as an OCI image layout by hand and turned into a docker-archive tarball with skopeo,
# which Jib reads with `-Djib.from.image=tar://<that file>`.
#
# Usage: build-base.sh [--rebuild]
#   Prints the path of the tarball. Cached in $ACR_IMAGE_CACHE (default
#   ~/.cache/acr-credential/image); rebuilt only when missing, when this script changed, or with
#   --rebuild. Needs root (the layer holds files owned by root and by 65532) and apt access to a
#   Debian mirror; installs openjdk-17-jdk-headless and skopeo if missing.
set -euo pipefail

cache="${ACR_IMAGE_CACHE:-$HOME/.cache/acr-credential/image}"
out="$cache/base.tar"
stamp="$cache/base.stamp"
ref="acr-credential-base:17"
# Debian's package of a JDK 17 with jmods (jlink's input) and the runtime's location in the image
# (the same as in the eclipse-temurin images, so JAVA_HOME-based scripts keep working).
jdk="/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)"
java_home="/opt/java/openjdk"
# `jdeps --print-module-deps` on target/acr-credential.jar, plus the modules only reached through
# services or reflection: jdk.crypto.ec (TLS with elliptic curves: ECDHE key exchange, ECDSA
# certificates), jdk.management (JVM metrics). Left out although jdeps names them (9 MB of the
# compressed image): java.desktop, referenced only by code the program never runs (snakeyaml's
# JavaBean properties, the program reads YAML into maps only; Jackson's optional
# @ConstructorProperties support, loaded reflectively; Jetty's AWT/ImageIO leak preventers, not
# installed; commons-lang3's circuit breakers; JAXB), and java.compiler (Error Prone's annotation
# types). verify-image.sh runs the image (`sync --once` against a real API server) to check the set.
modules="java.base,java.management,java.naming,java.net.http,java.sql"
modules="$modules,jdk.httpserver,jdk.unsupported,jdk.crypto.ec,jdk.management"
packages=(libc6 libgcc-s1 libstdc++6 zlib1g)
# Layer file times: 2025-01-01T00:00:00Z, so that the same packages give the same digests.
epoch="${SOURCE_DATE_EPOCH:-1735689600}"

self_hash="$(sha256sum "$0" | cut -d' ' -f1)"
if [[ "${1:-}" != "--rebuild" && -s "$out" && -f "$stamp" && "$(cat "$stamp")" == "$self_hash" ]]; then
  echo "$out"
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "build-base.sh: run as root (the image layer holds files owned by root and by 65532)" >&2
  exit 1
fi

need=()
[[ -x "$jdk/bin/jlink" && -f "$jdk/jmods/java.base.jmod" ]] || need+=(openjdk-17-jdk-headless)
command -v skopeo >/dev/null || need+=(skopeo)
if ((${#need[@]})); then
  echo "build-base.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs" "$work/debs"

echo "build-base.sh: downloading ${packages[*]} libc-bin base-files" >&2
# apt-get download runs as the _apt user when it can: give it a directory it may reach and write.
chmod 755 "$work"
chown _apt "$work/debs" 2>/dev/null || true
if ! (cd "$work/debs" && apt-get download -qq "${packages[@]}" libc-bin base-files 2>/dev/null); then
  apt-get update -qq
  (cd "$work/debs" && apt-get download -qq "${packages[@]}" libc-bin base-files)
fi

mkdir -p "$rootfs/var/lib/dpkg/status.d"
for pkg in "${packages[@]}"; do
  deb="$(ls "$work/debs/${pkg}"_*.deb)"
  dpkg-deb -x "$deb" "$rootfs"
  # What scanners read in distroless images: the control stanza of each installed package.
  { dpkg-deb -f "$deb"; echo "Status: install ok installed"; } >"$rootfs/var/lib/dpkg/status.d/$pkg"
done
# Only /etc/os-release from base-files (the distribution, for scanners and humans), and only
# the C.UTF-8 locale from libc-bin (LANG=C.UTF-8: the JVM then reads and writes file names as
# UTF-8; without the locale files glibc falls back to ASCII).
dpkg-deb -x "$(ls "$work/debs/base-files_"*.deb)" "$work/base-files"
mkdir -p "$rootfs/etc"
cp "$work/base-files/usr/lib/os-release" "$rootfs/etc/os-release"
deb="$(ls "$work/debs/libc-bin_"*.deb)"
dpkg-deb -x "$deb" "$work/libc-bin"
mkdir -p "$rootfs/usr/lib/locale"
cp -a "$work/libc-bin/usr/lib/locale/C.utf8" "$rootfs/usr/lib/locale/"
{ dpkg-deb -f "$deb"; echo "Status: install ok installed"; } >"$rootfs/var/lib/dpkg/status.d/libc-bin"

# Drop what a JVM never uses: documentation (copyright files stay), locales, iconv modules,
# libc's programs (ldd, iconv, getconf, ...) and the dynamic linker's cache tool.
find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
rm -rf "$rootfs/usr/share/lintian" "$rootfs/usr/share/locale" "$rootfs/usr/share/man" \
  "$rootfs/usr/share/info" "$rootfs/usr/share/gcc" "$rootfs/usr/share/gdb" \
  "$rootfs/usr/lib/$(uname -m)-linux-gnu/gconv" "$rootfs/usr/bin" "$rootfs/sbin" \
  "$rootfs/usr/sbin" "$rootfs/usr/libexec" "$rootfs/etc/ld.so.conf.d"

# No --generate-cds-archive: the default CDS archive (+22 MB) is not reproducible and saved only
# 30-40 ms of a `--help` start here; the refresher is a long-running daemon.
echo "build-base.sh: jlink $modules" >&2
mkdir -p "$rootfs/opt/java"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --output "$rootfs$java_home"
# Debian's libjvm.so keeps its symbol table (4 MB, 1.3 MB compressed); the JVM does not need it.
if command -v strip >/dev/null; then
  strip --strip-unneeded "$rootfs$java_home/lib/server/libjvm.so"
else
  echo "build-base.sh: strip (binutils) missing; libjvm.so keeps its symbols" >&2
fi

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
EOF
echo "hosts: files dns" >"$rootfs/etc/nsswitch.conf"
mkdir -p "$rootfs/tmp" "$rootfs/root" "$rootfs/home/nonroot" "$rootfs/proc" "$rootfs/dev" \
  "$rootfs/sys"
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root"
chown 65532:65532 "$rootfs/home/nonroot"
# The dynamic linker's cache, so libraries are found without a search.
ldconfig -r "$rootfs"

echo "build-base.sh: packing the layer" >&2
find "$rootfs" -exec touch -h -d "@$epoch" {} +
layer="$work/layer.tar"
(cd "$rootfs" && LC_ALL=C tar --sort=name --numeric-owner --mtime="@$epoch" \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -cf "$layer" $(LC_ALL=C ls -A))

# OCI image layout: blobs named by digest, a config, a manifest and an index naming it `base`.
oci="$work/oci"
mkdir -p "$oci/blobs/sha256"
blob() { # file -> moves it into blobs/, prints its digest
  local digest
  digest="$(sha256sum "$1" | cut -d' ' -f1)"
  mv "$1" "$oci/blobs/sha256/$digest"
  echo "$digest"
}
layer_size="$(stat -c %s "$layer")"
layer_digest="$(blob "$layer")"
arch="$(dpkg --print-architecture)"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
cat >"$work/config.json" <<EOF
{"architecture":"$arch","os":"linux","created":"$created",
 "config":{"User":"65532:65532","WorkingDir":"/home/nonroot",
  "Env":["PATH=$java_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
         "JAVA_HOME=$java_home","LANG=C.UTF-8"],
  "Labels":{"org.opencontainers.image.title":"acr-credential-base",
            "org.opencontainers.image.description":"jlink'ed OpenJDK 17 runtime on Debian bookworm libraries, no shell"}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer_digest"]},
 "history":[{"created":"$created","created_by":"acr-credential-examples/src/image/build-base.sh"}]}
EOF
config_size="$(stat -c %s "$work/config.json")"
config_digest="$(blob "$work/config.json")"
cat >"$work/manifest.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config_digest","size":$config_size},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:$layer_digest","size":$layer_size}]}
EOF
manifest_size="$(stat -c %s "$work/manifest.json")"
manifest_digest="$(blob "$work/manifest.json")"
echo '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
cat >"$oci/index.json" <<EOF
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "digest":"sha256:$manifest_digest","size":$manifest_size,
 "platform":{"architecture":"$arch","os":"linux"},
 "annotations":{"org.opencontainers.image.ref.name":"base"}}]}
EOF

mkdir -p "$cache"
rm -f "$out" "$stamp"
skopeo copy -q "oci:$oci:base" "docker-archive:$work/base.tar:$ref" >&2
mv "$work/base.tar" "$out"
echo "$self_hash" >"$stamp"
echo "build-base.sh: $out ($(du -h "$out" | cut -f1), layer sha256:$layer_digest)" >&2
echo "$out"
