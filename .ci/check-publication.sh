#!/usr/bin/env bash
# The `mvn deploy` dry run: publishes every module into a directory under target/ instead of a
# repository, lists what would be published, and fails unless it is what Maven Central accepts:
#   - core, k8s, testing, kube-testing and examples: main, sources and Javadoc jars and a POM;
#     license, SCM, developers, url, name and description reachable from the POM (itself or its
#     published parent); an Automatic-Module-Name in the main jar's manifest;
#   - acr-credential-bom lists every published module at the same version, with the same
#     metadata as the parent;
#   - no published POM brings JUnit or a test kit into a user's compile or runtime scope except
#     the test kits themselves (kube-testing ships a JUnit extension).
# Usage: bash .ci/check-publication.sh [--no-build]   (--no-build re-checks the last dry run)
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/target/publication"

if [[ "${1:-}" != "--no-build" ]]; then
  rm -rf "$out"
  # maven.install.skip: a dry run leaves nothing in ~/.m2 that a later `-pl` build could pick up
  mvn -B -q deploy -DskipTests -Dspotless.check.skip=true -Dmaven.install.skip=true \
    -DaltDeploymentRepository="dry-run::file://$out"
fi

python3 - "$out" <<'PY'
import pathlib, re, sys, zipfile
import xml.etree.ElementTree as ET

root = pathlib.Path(sys.argv[1])
NS = {"m": "http://maven.apache.org/POM/4.0.0"}
LIBRARIES = ["acr-credential-core", "acr-credential-k8s", "acr-credential-testing",
             "acr-credential-kube-testing", "acr-credential-examples"]
TEST_KITS = {"acr-credential-testing", "acr-credential-kube-testing"}
problems = []

def newest(artifact, suffix):
    found = sorted((root / "io/acrcredential" / artifact).glob(f"*/{artifact}-*{suffix}"))
    found = [f for f in found if re.search(r"-\d{8}\.\d{6}-\d+" + re.escape(suffix) + "$", f.name)
             or f.name.endswith(f"{artifact}-" + f.parent.name + suffix)]
    return found[-1] if found else None

def pom(artifact):
    f = newest(artifact, ".pom")
    return (f, ET.parse(f).getroot()) if f else (None, None)

def inherited(artifact, path):
    """The element at path in the artifact's published POM or, failing that, its parents'."""
    f, p = pom(artifact)
    while p is not None:
        e = p.find(path, NS)
        if e is not None:
            return e
        parent = p.find("m:parent/m:artifactId", NS)
        if parent is None:
            return None
        f, p = pom(parent.text)
    return None

def text(e):
    return "".join(e.itertext()).strip() if e is not None else ""

published = sorted(d.name for d in (root / "io/acrcredential").iterdir() if d.is_dir())
print("== would be published (target/publication):")
for f in sorted(root.rglob("*")):
    if f.is_file() and not re.search(r"\.(md5|sha1)$|maven-metadata", f.name):
        print(f"   {f.relative_to(root)}  ({f.stat().st_size} bytes)")

for a in LIBRARIES:
    if a not in published:
        problems.append(f"{a}: not published")
        continue
    for suffix, must_hold in ((".jar", ".class"), ("-sources.jar", ".java"), ("-javadoc.jar", "index.html")):
        f = newest(a, suffix)
        if f is None:
            problems.append(f"{a}: no {suffix} artifact")
            continue
        with zipfile.ZipFile(f) as z:
            names = z.namelist()
            if not any(n.endswith(must_hold) for n in names):
                problems.append(f"{f.name}: holds no {must_hold}")
            if suffix == ".jar":
                manifest = z.read("META-INF/MANIFEST.MF").decode()
                m = re.search(r"^Automatic-Module-Name: (\S+)\s*$", manifest, re.M)
                if not m or not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", m.group(1)):
                    problems.append(f"{f.name}: no valid Automatic-Module-Name in the manifest")
    for path in ("m:name", "m:description", "m:url", "m:licenses/m:license/m:name",
                 "m:licenses/m:license/m:url", "m:scm/m:url", "m:scm/m:connection",
                 "m:developers/m:developer/m:name"):
        if not text(inherited(a, path)):
            problems.append(f"{a}: POM has no {path.replace('m:', '')} (nor its parent)")
    if text(inherited(a, "m:licenses/m:license/m:name")) not in ("", "Apache-2.0"):
        problems.append(f"{a}: license is not Apache-2.0")

# No JUnit or test kit leaks into a user's compile/runtime class path through a published POM.
def leaks(artifact, seen):
    _, p = pom(artifact)
    if p is None:
        return []
    bad = []
    for d in p.findall("m:dependencies/m:dependency", NS):
        g, a = text(d.find("m:groupId", NS)), text(d.find("m:artifactId", NS))
        scope = text(d.find("m:scope", NS)) or "compile"
        if scope not in ("compile", "runtime") or text(d.find("m:optional", NS)) == "true":
            continue
        if g.startswith("org.junit") or a in TEST_KITS:
            bad.append(f"{artifact} -> {g}:{a} ({scope})")
        if g == "io.acrcredential" and a not in seen:
            seen.add(a)
            bad += leaks(a, seen)
    return bad

for a in ("acr-credential-core", "acr-credential-k8s", "acr-credential-examples"):
    for leak in leaks(a, {a}):
        problems.append(f"{a}: a user's compile/runtime class path would get {leak}")

# Without these a module's effective url and SCM would be the parent's with its artifactId appended,
# which is no page of the repository.
_, parent_pom = pom("acr-credential-parent")
if parent_pom is not None:
    scm = parent_pom.find("m:scm", NS)
    if parent_pom.get("child.project.url.inherit.append.path") != "false" or scm is None or any(
            scm.get(f"child.scm.{k}.inherit.append.path") != "false"
            for k in ("connection", "developerConnection", "url")):
        problems.append("acr-credential-parent: modules would inherit url/scm with their artifactId appended")

# The BOM: same version and metadata as the parent, every published module listed.
_, bom = pom("acr-credential-bom")
_, parent = pom("acr-credential-parent")
if bom is None or parent is None:
    problems.append("acr-credential-bom or acr-credential-parent not published")
else:
    listed = {text(d.find("m:artifactId", NS)): text(d.find("m:version", NS))
              for d in bom.findall("m:dependencyManagement/m:dependencies/m:dependency", NS)}
    version = text(parent.find("m:version", NS))
    if text(bom.find("m:version", NS)) != version:
        problems.append(f"acr-credential-bom: version {text(bom.find('m:version', NS))} is not the parent's {version}")
    for a in published:
        if a in ("acr-credential-bom", "acr-credential-parent"):
            continue
        if a not in listed:
            problems.append(f"acr-credential-bom: does not list {a}")
        elif listed[a] not in (version, "${project.version}"):
            problems.append(f"acr-credential-bom: lists {a} at {listed[a]}, not {version}")
    for a in listed:
        if a not in published:
            problems.append(f"acr-credential-bom: lists {a}, which is not published")
    for path in ("m:url", "m:licenses", "m:scm", "m:developers", "m:organization"):
        norm = lambda e: re.sub(r"\s+", " ", ET.tostring(e, encoding="unicode")) if e is not None else None
        if norm(bom.find(path, NS)) != norm(parent.find(path, NS)):
            problems.append(f"acr-credential-bom: {path.replace('m:', '')} differs from the parent's")
    print("== acr-credential-bom lists: " + ", ".join(sorted(listed)))

if problems:
    print("== publication check FAILED:")
    for p in problems:
        print("   " + p)
    sys.exit(1)
print(f"== publication check passed: {', '.join(LIBRARIES)} each with jar, sources, Javadoc and a POM "
      "with license, SCM and developers; the BOM lists every module")
PY
