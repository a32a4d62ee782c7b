package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A container image built here, without downloads: one layer holding a tiny static program ({@code
 * /pause}, which sleeps until SIGTERM or SIGINT) and a file {@code /marker} with the given text, so
 * two images with different markers share no layer and each pull really fetches its blobs. The
 * image is an OCI image layout directory (for {@code skopeo copy oci:<dir>:<tag>}) and an OCI
 * archive of it (for {@code ctr images import}).
 *
 * <p>The program is compiled with {@code gcc -static} on first use in this JVM (under a second).
 */
public final class TestImage {

  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(2);
  private static final String PAUSE_SOURCE =
      "#include <signal.h>\n"
          + "#include <unistd.h>\n"
          + "static void stop(int signal) { (void) signal; _exit(0); }\n"
          + "int main(void) {\n"
          + "  signal(SIGTERM, stop);\n"
          + "  signal(SIGINT, stop);\n"
          + "  for (;;) pause();\n"
          + "}\n";
  private static final Object BUILD_LOCK = new Object();
  private static Path pauseBinary;

  private final Path layout;
  private final Path archive;
  private final String tag;
  private final String manifestDigest;

  private TestImage(Path layout, Path archive, String tag, String manifestDigest) {
    this.layout = layout;
    this.archive = archive;
    this.tag = tag;
    this.manifestDigest = manifestDigest;
  }

  /**
   * Builds the image into the new directory {@code directory}.
   *
   * @param directory where to write the layout (must not exist yet) and the archive next to it
   * @param reference the full image name the archive's index names, e.g. {@code
   *     registry.local/acr-test/pause:1}; its tag is the layout's tag
   * @param marker text written to {@code /marker}, making the layer unique
   * @return the built image
   * @throws IllegalStateException if gcc or tar is missing or fails
   */
  public static TestImage build(Path directory, String reference, String marker) {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(marker, "marker");
    int colon = reference.lastIndexOf(':');
    if (colon < 0 || reference.lastIndexOf('/') > colon) {
      throw new IllegalArgumentException("reference '" + reference + "' must end with :<tag>");
    }
    String tag = reference.substring(colon + 1);
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException("tag '" + tag + "' is not a valid image tag");
    }
    try {
      Files.createDirectories(directory.getParent());
      Files.createDirectory(directory);
      Path rootfs = Files.createDirectory(directory.resolve("rootfs"));
      Files.copy(pauseBinary(), rootfs.resolve("pause"));
      rootfs.resolve("pause").toFile().setExecutable(true, false);
      Files.writeString(rootfs.resolve("marker"), marker + "\n", StandardCharsets.UTF_8);
      Path layout = Files.createDirectory(directory.resolve("oci"));
      Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
      Path layerTar = directory.resolve("layer.tar");
      HostChanges.runOrFail(
          TOOL_TIMEOUT,
          "tar",
          "--owner=0",
          "--group=0",
          "--numeric-owner",
          "--mtime=@0",
          "--sort=name",
          "-cf",
          layerTar.toString(),
          "-C",
          rootfs.toString(),
          "pause",
          "marker");
      byte[] layer = Files.readAllBytes(layerTar);
      String layerDigest = writeBlob(blobs, layer);
      String config =
          "{\"architecture\":\""
              + architecture()
              + "\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/pause\"]},"
              + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
              + layerDigest
              + "\"]}}";
      byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
      String configDigest = writeBlob(blobs, configBytes);
      String manifest =
          "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
              + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
              + "\"digest\":\""
              + configDigest
              + "\",\"size\":"
              + configBytes.length
              + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
              + "\"digest\":\""
              + layerDigest
              + "\",\"size\":"
              + layer.length
              + "}]}";
      byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
      String manifestDigest = writeBlob(blobs, manifestBytes);
      Files.writeString(
          layout.resolve("index.json"),
          "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
              + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
              + manifestDigest
              + "\",\"size\":"
              + manifestBytes.length
              + ",\"annotations\":{\"io.containerd.image.name\":\""
              + reference
              + "\",\"org.opencontainers.image.ref.name\":\""
              + tag
              + "\"}}]}",
          StandardCharsets.UTF_8);
      Files.writeString(
          layout.resolve("oci-layout"),
          "{\"imageLayoutVersion\":\"1.0.0\"}",
          StandardCharsets.UTF_8);
      Files.delete(layerTar);
      Path archive = directory.resolve("image.tar");
      HostChanges.runOrFail(
          TOOL_TIMEOUT,
          "tar",
          "-cf",
          archive.toString(),
          "-C",
          layout.toString(),
          "oci-layout",
          "index.json",
          "blobs");
      return new TestImage(layout, archive, tag, manifestDigest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build a test image in " + directory, e);
    }
  }

  /**
   * The OCI image layout directory; {@code skopeo copy oci:<layout>:<tag> docker://...} pushes it.
   *
   * @return the layout directory
   */
  public Path layout() {
    return layout;
  }

  /**
   * The OCI archive (a tar of {@link #layout()}), for {@code ctr images import}.
   *
   * @return the archive file
   */
  public Path archive() {
    return archive;
  }

  /**
   * The tag inside the layout.
   *
   * @return the tag
   */
  public String tag() {
    return tag;
  }

  /**
   * The manifest digest, {@code sha256:<hex>}.
   *
   * @return the digest
   */
  public String manifestDigest() {
    return manifestDigest;
  }

  @Override
  public String toString() {
    return "TestImage[" + tag + ", " + manifestDigest + "]";
  }

  /** Why no image can be built here, or null when gcc (static libc) and tar are present. */
  static String unavailableReason() {
    for (String tool : List.of("gcc", "tar")) {
      if (HostChanges.run(Duration.ofSeconds(20), tool, "--version").exitCode() != 0) {
        return tool
            + " is not installed (needed to build the test images; apt-get install gcc"
            + " libc6-dev tar)";
      }
    }
    return null;
  }

  private static Path pauseBinary() throws IOException {
    synchronized (BUILD_LOCK) {
      if (pauseBinary == null || !Files.isExecutable(pauseBinary)) {
        Path dir = Files.createTempDirectory("acr-test-image-");
        dir.toFile().deleteOnExit();
        Path source = dir.resolve("pause.c");
        Files.writeString(source, PAUSE_SOURCE, StandardCharsets.US_ASCII);
        Path binary = dir.resolve("pause");
        HostChanges.runOrFail(
            TOOL_TIMEOUT,
            "gcc",
            "-static",
            "-Os",
            "-s",
            "-o",
            binary.toString(),
            source.toString());
        source.toFile().deleteOnExit();
        binary.toFile().deleteOnExit();
        pauseBinary = binary;
      }
      return pauseBinary;
    }
  }

  private static String writeBlob(Path blobs, byte[] content) throws IOException {
    String hex = sha256(content);
    Files.write(blobs.resolve(hex), content);
    return "sha256:" + hex;
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  private static String architecture() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> arch;
    };
  }
}
