#!/usr/bin/env bash
# Builds the node installer image for src/main/deploy/node-installer.yaml without a container
# registry or a Docker daemon: one layer holding
#   - the node bundle (target/acr-credential-node) at /opt/acr-credential-node, every file's time
#     set to 1970-01-01T00:00:01Z, the jar's time the AppCDS archive was made for (so the archive
#     stays valid once install-node has copied the bundle onto the node with the times kept);
#   - BusyBox from Debian's busybox-static package (a static binary: no libraries) as /bin/sh and
#     the few tools install-node uses, plus `sleep` for the DaemonSet's idle container;
# written as an OCI image layout and turned into a docker-archive with skopeo (push it with
# `skopeo copy docker-archive:FILE docker://REGISTRY/acr-credential-node-installer:VERSION`).
#
# Usage: build-installer-image.sh [BUNDLE_DIR [OUT_TAR]]
#   defaults: acr-credential-examples/target/acr-credential-node and
#   acr-credential-examples/target/acr-credential-node-installer.tar. Needs root (numeric owners),
#   skopeo, and apt access to a Debian mirror for busybox-static (kept in
#   ${ACR_IMAGE_CACHE:-~/.cache/acr-credential/image}). Prints the tarball's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bundle="$(realpath "${1:-$here/../../target/acr-credential-node}")"
out="$(realpath -m "${2:-$here/../../target/acr-credential-node-installer.tar}")"
ref="acr-credential-node-installer:latest"
cache="${ACR_IMAGE_CACHE:-$HOME/.cache/acr-credential/image}"
[[ -x "$bundle/bin/install-node" && -f "$bundle/lib/acr-credential.jsa" ]] \
  || { echo "build-installer-image.sh: no node bundle in $bundle (mvn package)" >&2; exit 1; }
[[ "$(id -u)" == 0 ]] || { echo "build-installer-image.sh: run as root (numeric owners)" >&2; exit 1; }
command -v skopeo >/dev/null || { echo "build-installer-image.sh: skopeo missing" >&2; exit 1; }

mkdir -p "$cache"
deb="$(ls "$cache"/busybox-static_*.deb 2>/dev/null | tail -n 1 || true)"
if [[ -z "$deb" ]]; then
  echo "build-installer-image.sh: downloading busybox-static" >&2
  dl="$(mktemp -d)"
  chmod 755 "$dl"
  chown _apt "$dl" 2>/dev/null || true
  (cd "$dl" && apt-get download -qq busybox-static 2>/dev/null) \
    || { apt-get update -qq && (cd "$dl" && apt-get download -qq busybox-static); }
  mv "$dl"/busybox-static_*.deb "$cache/"
  rm -rf "$dl"
  deb="$(ls "$cache"/busybox-static_*.deb | tail -n 1)"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/opt" "$rootfs/host" "$rootfs/tmp" "$rootfs/var/lib/dpkg/status.d" \
  "$rootfs/dev" "$rootfs/proc" "$rootfs/sys"
dpkg-deb -x "$deb" "$work/busybox"
cp "$work/busybox/bin/busybox" "$rootfs/bin/busybox"
{ dpkg-deb -f "$deb"; echo "Status: install ok installed"; } >"$rootfs/var/lib/dpkg/status.d/busybox-static"
# What install-node calls (sh, cp -a, mkdir, mv, rm, chown, chmod, head, grep, sed, dirname, cat),
# and sleep for the idle container.
for applet in sh cat chmod chown cp dirname grep head ls mkdir mv readlink rm sed sleep; do
  ln -s busybox "$rootfs/bin/$applet"
done
cp -a "$bundle" "$rootfs/opt/acr-credential-node"
chmod 1777 "$rootfs/tmp"
chmod -R go-w "$rootfs/opt"

epoch=1 # 1970-01-01T00:00:01Z: the node bundle's jar time (build-node-bundle.sh), as Jib sets it
find "$rootfs" -exec touch -h -d "@$epoch" {} +
layer="$work/layer.tar"
(cd "$rootfs" && LC_ALL=C tar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$epoch" \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -cf "$layer" $(LC_ALL=C ls -A))
gzip -n -6 "$layer"
layer_gz="$layer.gz"
diff_id="$(gzip -dc "$layer_gz" | sha256sum | cut -d' ' -f1)"

oci="$work/oci"
mkdir -p "$oci/blobs/sha256"
blob() { # file -> moves it into blobs/, prints its digest
  local digest
  digest="$(sha256sum "$1" | cut -d' ' -f1)"
  mv "$1" "$oci/blobs/sha256/$digest"
  echo "$digest"
}
layer_size="$(stat -c %s "$layer_gz")"
layer_digest="$(blob "$layer_gz")"
arch="$(dpkg --print-architecture)"
cat >"$work/config.json" <<JSON
{"architecture":"$arch","os":"linux","created":"1970-01-01T00:00:01Z",
 "config":{"User":"0:0","WorkingDir":"/",
  "Env":["PATH=/bin"],
  "Entrypoint":["/opt/acr-credential-node/bin/install-node"],
  "Cmd":["--host-root","/host"],
  "Labels":{"org.opencontainers.image.title":"acr-credential-node-installer",
            "org.opencontainers.image.description":"acr-credential node bundle (kubelet plugin, Docker helper, Java runtime) and its installer"}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:01Z","created_by":"acr-credential-examples/src/node/build-installer-image.sh"}]}
JSON
config_size="$(stat -c %s "$work/config.json")"
config_digest="$(blob "$work/config.json")"
cat >"$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config_digest","size":$config_size},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$layer_digest","size":$layer_size}]}
JSON
manifest_size="$(stat -c %s "$work/manifest.json")"
manifest_digest="$(blob "$work/manifest.json")"
echo '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
cat >"$oci/index.json" <<JSON
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "digest":"sha256:$manifest_digest","size":$manifest_size,
 "platform":{"architecture":"$arch","os":"linux"},
 "annotations":{"org.opencontainers.image.ref.name":"installer"}}]}
JSON
mkdir -p "$(dirname "$out")"
rm -f "$out"
# an OCI layout next to the tarball too: what `skopeo copy oci:DIR:installer docker://...` pushes
rm -rf "$out.oci"
cp -a "$oci" "$out.oci"
skopeo copy -q "oci:$oci:installer" "docker-archive:$out:$ref" >&2
echo "build-installer-image.sh: $out ($(du -h "$out" | cut -f1); layer sha256:$layer_digest)" >&2
echo "$out"
