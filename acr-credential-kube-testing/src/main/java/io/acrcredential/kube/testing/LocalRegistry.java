package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * A private registry that a {@link LocalNode} pulls from as if it were ACR: Debian's {@code
 * docker-registry} serving TLS on port 443 of a loopback address, with a certificate from the API
 * server's CA, under host names such as {@code registry.cn-hangzhou.aliyuncs.com} (Personal
 * Edition) or {@code <name>-registry.cn-hangzhou.cr.aliyuncs.com} and its {@code -vpc} twin
 * (Enterprise Edition), mapped to that address in {@code /etc/hosts} and trusted by the node's
 * containerd. Clients authenticate with Docker token authentication, as with ACR: the registry
 * sends them to a token service ({@code realm}) whose JWTs it verifies against a signing
 * certificate from {@link #newSigningKey}.
 *
 * <p>{@link #push} copies a {@link TestImage} in with skopeo. {@link #close()} stops the registry
 * and deletes its storage; the {@code /etc/hosts} lines and trust files go when the node closes.
 */
public final class LocalRegistry implements AutoCloseable {

  private static final Pattern LOOPBACK = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration PUSH_TIMEOUT = Duration.ofMinutes(2);

  private final List<String> hosts;
  private final Path workDir;
  private final Path certDir;
  private final ManagedProcess process;
  private final AtomicBoolean closed = new AtomicBoolean();

  private LocalRegistry(List<String> hosts, Path workDir, Path certDir, ManagedProcess process) {
    this.hosts = hosts;
    this.workDir = workDir;
    this.certDir = certDir;
    this.process = process;
  }

  /**
   * A key to sign registry tokens with, and its certificate from {@code server}'s CA, which the
   * registry trusts. Give both to the token service.
   *
   * @param server the API server whose CA signs the certificate
   * @return the certificate and PKCS#8 key (PEM)
   */
  public static LocalKubeApiServer.ServingCertificate newSigningKey(LocalKubeApiServer server) {
    Pki.Issued issued = server.pki().issueSigner("acr-test-registry-token-signer");
    return new LocalKubeApiServer.ServingCertificate(
        issued.certificatePem(), issued.privateKeyPem());
  }

  /**
   * Returns a builder for a registry the node pulls from.
   *
   * @param server the API server whose CA signs the registry's certificate
   * @param node the node that maps the host names and trusts the CA
   * @return a new builder
   */
  public static Builder builder(LocalKubeApiServer server, LocalNode node) {
    return new Builder(server, node);
  }

  /**
   * The registry's host names, first one first.
   *
   * @return the host names
   */
  public List<String> hosts() {
    return hosts;
  }

  /**
   * Pushes {@code image} as {@code <host>/<repository>:<tag>} with skopeo, logging in with {@code
   * username}/{@code password} (a login the token service accepts).
   *
   * @param image the image
   * @param reference the full reference, {@code <one of hosts()>/<repository>:<tag>}
   * @param username registry user name
   * @param password registry password
   * @throws IllegalStateException with skopeo's output when the push fails
   */
  public void push(TestImage image, String reference, String username, String password) {
    if (closed.get()) {
      throw new IllegalStateException("registry is closed");
    }
    Objects.requireNonNull(image, "image");
    Path authFile = workDir.resolve("push-auth.json");
    try {
      // Credentials through a private auth file, not the command line (visible in ps).
      String auth =
          java.util.Base64.getEncoder()
              .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
      String host = reference.substring(0, reference.indexOf('/'));
      Files.writeString(authFile, "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}\n");
      HostChanges.Result result =
          HostChanges.run(
              PUSH_TIMEOUT,
              "skopeo",
              "copy",
              "--quiet",
              "--dest-cert-dir",
              certDir.toString(),
              "--dest-authfile",
              authFile.toString(),
              "oci:" + image.layout() + ":" + image.tag(),
              "docker://" + reference);
      if (result.exitCode() != 0) {
        throw new IllegalStateException(
            "pushing " + reference + " failed: " + result.output() + "\n" + process.tail(10));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + authFile, e);
    } finally {
      try {
        Files.deleteIfExists(authFile);
      } catch (IOException e) {
        // deleted with the directory at close
      }
    }
  }

  /**
   * The last lines of the registry's log.
   *
   * @param lines how many
   * @return the log tail
   */
  public String logTail(int lines) {
    return process.tail(lines);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      process.close();
      HostChanges.deleteRecursively(workDir);
    }
  }

  @Override
  public String toString() {
    return "LocalRegistry" + hosts;
  }

  /** Settings for a registry. */
  public static final class Builder {
    private final LocalKubeApiServer server;
    private final LocalNode node;
    private String address = "127.0.0.2";
    private final List<String> hosts = new ArrayList<>();
    private URI realm;
    private String service;
    private String issuer;
    private String signingCertificatePem;

    private Builder(LocalKubeApiServer server, LocalNode node) {
      this.server = Objects.requireNonNull(server, "server");
      this.node = Objects.requireNonNull(node, "node");
    }

    /**
     * The loopback address to serve on, port 443 (default {@code 127.0.0.2}); one registry per
     * address.
     *
     * @param address an address in 127.0.0.0/8 other than 127.0.0.1
     * @return this builder
     */
    public Builder address(String address) {
      if (!LOOPBACK.matcher(address).matches() || address.equals("127.0.0.1")) {
        throw new IllegalArgumentException(
            "address " + address + " must be a loopback address other than 127.0.0.1");
      }
      this.address = address;
      return this;
    }

    /**
     * Adds host names the registry answers to (e.g. {@code registry.cn-hangzhou.aliyuncs.com}).
     *
     * @param names host names
     * @return this builder
     */
    public Builder hosts(String... names) {
      hosts.addAll(List.of(names));
      return this;
    }

    /**
     * Docker token authentication, as ACR uses it.
     *
     * @param realm the token service's URL
     * @param service the service name the tokens are issued for
     * @param issuer the tokens' issuer
     * @param signingCertificatePem the certificate of the tokens' signing key ({@link
     *     #newSigningKey}); the registry trusts its issuing CA
     * @return this builder
     */
    public Builder tokenAuth(
        URI realm, String service, String issuer, String signingCertificatePem) {
      this.realm = Objects.requireNonNull(realm, "realm");
      this.service = Objects.requireNonNull(service, "service");
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      this.signingCertificatePem = Objects.requireNonNull(signingCertificatePem, "certificate");
      return this;
    }

    /**
     * Starts the registry, maps its host names to its address and makes the node trust it.
     *
     * @return the running registry; close it when done
     */
    public LocalRegistry start() {
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("a registry needs at least one host name");
      }
      if (realm == null) {
        throw new IllegalArgumentException("tokenAuth(...) is required: ACR always authenticates");
      }
      Path dir;
      try {
        dir = Files.createTempDirectory("acr-registry-");
        Path certDir = Files.createDirectory(dir.resolve("certs"));
        Pki.Issued serving = server.pki().issueServerFor(hosts.get(0), hosts, List.of(address));
        serving.writeTo(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        Files.writeString(certDir.resolve("ca.crt"), server.caCertificatePem());
        Files.writeString(dir.resolve("token-roots.pem"), server.caCertificatePem());
        Files.writeString(
            dir.resolve("config.yml"),
            String.join(
                "\n",
                "version: 0.1",
                "log:",
                "  level: info",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + dir.resolve("data"),
                "  delete:",
                "    enabled: true",
                "  maintenance:",
                "    uploadpurging:",
                "      enabled: false",
                "http:",
                "  addr: " + address + ":443",
                "  secret: " + java.util.UUID.randomUUID(),
                "  tls:",
                "    certificate: " + dir.resolve("tls.crt"),
                "    key: " + dir.resolve("tls.key"),
                "auth:",
                "  token:",
                "    realm: " + realm,
                "    service: " + service,
                "    issuer: " + issuer,
                "    rootcertbundle: " + dir.resolve("token-roots.pem"),
                ""));
        Objects.requireNonNull(signingCertificatePem);
        ManagedProcess process =
            ManagedProcess.start(
                "docker-registry",
                List.of("docker-registry", "serve", dir.resolve("config.yml").toString()),
                dir.resolve("registry.log"));
        LocalRegistry registry = new LocalRegistry(List.copyOf(hosts), dir, certDir, process);
        try {
          awaitListening(process);
          node.addHostsEntry(address, hosts.toArray(String[]::new));
          for (String host : hosts) {
            node.trustRegistry(host, server.caCertificatePem());
          }
          return registry;
        } catch (RuntimeException e) {
          registry.close();
          throw e;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare the registry", e);
      }
    }

    private void awaitListening(ManagedProcess process) {
      try {
        process.awaitReady(
            "port 443 on " + address,
            ManagedProcess.Probe.port(address, 443),
            ManagedProcess.Deadline.after(START_TIMEOUT),
            Duration.ofMillis(100));
      } catch (ManagedProcess.NotReady e) {
        throw ManagedProcess.failure("docker-registry: " + e.getMessage(), List.of(process));
      }
    }
  }
}
