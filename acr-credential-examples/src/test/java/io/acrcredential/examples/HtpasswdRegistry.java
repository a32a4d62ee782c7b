package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code docker-registry} on a free loopback port, plain HTTP, accepting exactly one user
 * (htpasswd, bcrypt): the registry the fake ACR's fixed token logs in to, for the ITs that need a
 * real registry but no node. Its files live in the caller's directory.
 */
public final class HtpasswdRegistry implements AutoCloseable {

  private static final Duration START = Duration.ofSeconds(20);

  private final Process process;
  private final Path dir;
  private final String host;
  private final String authorization;

  private HtpasswdRegistry(Process process, Path dir, String host, String authorization) {
    this.process = process;
    this.dir = dir;
    this.host = host;
    this.authorization = authorization;
  }

  /**
   * Starts the registry with its storage, configuration and log under {@code dir} and waits until
   * it asks for a login.
   *
   * @param dir an empty directory of the test's
   * @param user the only user name it accepts
   * @param password that user's password
   * @param realm the Basic realm it names
   */
  public static HtpasswdRegistry start(Path dir, String user, String password, String realm)
      throws Exception {
    Processes.require("docker-registry", "htpasswd");
    Processes.Result htpasswd =
        Processes.run(
            List.of("htpasswd", "-Bbn", user, password),
            Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")),
            "");
    assertThat(htpasswd.exit()).as("htpasswd failed").isZero();
    Files.writeString(dir.resolve("htpasswd"), htpasswd.stdout());
    String host = "127.0.0.1:" + freePort();
    Files.writeString(
        dir.resolve("registry.yml"),
        String.join(
            "\n",
            "version: 0.1",
            "log:",
            "  level: warn",
            "storage:",
            "  filesystem:",
            "    rootdirectory: " + dir.resolve("registry-data"),
            "http:",
            "  addr: " + host,
            "auth:",
            "  htpasswd:",
            "    realm: " + realm,
            "    path: " + dir.resolve("htpasswd"),
            ""));
    Process process =
        new ProcessBuilder("docker-registry", "serve", dir.resolve("registry.yml").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("registry.log").toFile())
            .start();
    HtpasswdRegistry registry =
        new HtpasswdRegistry(
            process,
            dir,
            host,
            "Basic "
                + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    try {
      registry.awaitLoginRequired();
      return registry;
    } catch (Exception | AssertionError e) {
      registry.close();
      throw e;
    }
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return host;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void awaitLoginRequired() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    long deadline = System.nanoTime() + START.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 401) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("docker-registry did not start on " + host);
  }

  /**
   * Pushes a one-layer OCI image through the registry API (blob uploads, then the manifest) as the
   * registry's user. The layer is not a real tarball: only clients that do not unpack pull it.
   */
  public void pushTinyImage(String repository, String tag) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    byte[] layer =
        "not really a tarball, the registry does not look".getBytes(StandardCharsets.UTF_8);
    byte[] config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
            .getBytes(StandardCharsets.UTF_8);
    String layerDigest = upload(http, repository, layer);
    String configDigest = upload(http, repository, config);
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + configDigest
            + "\",\"size\":"
            + config.length
            + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
            + "\"digest\":\""
            + layerDigest
            + "\",\"size\":"
            + layer.length
            + "}]}";
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + host + "/v2/" + repository + "/manifests/" + tag))
                .header("Authorization", authorization)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private String upload(HttpClient http, String repository, byte[] blob) throws Exception {
    String digest =
        "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
    HttpResponse<String> start =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + host + "/v2/" + repository + "/blobs/uploads/"))
                .header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(start.statusCode()).as(start.body()).isEqualTo(202);
    String location = start.headers().firstValue("Location").orElseThrow();
    URI put =
        URI.create("http://" + host)
            .resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + digest);
    HttpResponse<String> done =
        http.send(
            HttpRequest.newBuilder(put)
                .header("Authorization", authorization)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(done.statusCode()).as(done.body()).isEqualTo(201);
    return digest;
  }

  /** Stops the registry (its files stay with the caller's directory). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
