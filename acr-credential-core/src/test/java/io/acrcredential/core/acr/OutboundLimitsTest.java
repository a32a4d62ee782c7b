package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Outbound calls (ACR through the SDK, the credentials URI, STS AssumeRoleWithOIDC, ECS metadata)
 * never follow a redirect, have a total deadline, and read answers only up to 1 MiB. The peer is a
 * raw socket server on 127.0.0.1 that misbehaves on purpose.
 */
class OutboundLimitsTest {

  static final String SECRET_QUERY = "SecurityToken=leakedQueryValue";

  /** A one-connection-at-a-time HTTP server whose answer is written by a function of the port. */
  static final class RawServer implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger connections = new AtomicInteger();
    final Thread thread;

    RawServer(Function<OutputStream, Void> answer) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try (Socket s = socket.accept()) {
                    connections.incrementAndGet();
                    readHead(s.getInputStream());
                    answer.apply(s.getOutputStream());
                  } catch (IOException | RuntimeException e) {
                    // the client gave up, or the server closed
                  }
                }
              },
              "raw-server");
      thread.setDaemon(true);
      thread.start();
    }

    String base() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    private static void readHead(InputStream in) throws IOException {
      int matched = 0;
      byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          return;
        }
        matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static Void write(OutputStream out, String s) {
    try {
      out.write(s.getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return null;
  }

  RawServer catcher;

  @BeforeEach
  void startCatcher() throws IOException {
    catcher = new RawServer(out -> write(out, "HTTP/1.1 500 No\r\nContent-Length: 0\r\n\r\n"));
  }

  @AfterEach
  void stopCatcher() throws IOException {
    catcher.close();
  }

  /** Fetches a token with the misbehaving server in the role named by {@code where}. */
  static void fetchThrough(String where, String base) {
    AcrTokenProvider.Builder b =
        AcrTokenProvider.builder()
            .connectTimeout(Duration.ofSeconds(2))
            .readTimeout(Duration.ofSeconds(10))
            .callTimeout(Duration.ofSeconds(2));
    switch (where) {
      case "acr" ->
          b.credentials(AlibabaCredentials.accessKey("LTAI5tOutboundTest01", "secret0123456789"))
              .endpoint(base);
      case "credentials-uri" ->
          b.credentials(
                  AlibabaCredentials.defaultChain(
                      Map.of(
                          "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true",
                          "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true",
                          "ALIBABA_CLOUD_CREDENTIALS_URI", base + "/creds?x=1")))
              .endpoint("http://127.0.0.1:9");
      case "oidc" ->
          b.credentials(
                  AlibabaCredentials.oidcRoleWithToken(
                      "acs:ram::1234567890123456:role/r",
                      "acs:ram::1234567890123456:oidc-provider/p",
                      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
                      "session-1"))
              .stsEndpoint(base)
              .endpoint("http://127.0.0.1:9");
      case "metadata" ->
          b.credentials(AlibabaCredentials.ecsRamRole("NodeRole"))
              .metadataEndpoint(base)
              .endpoint("http://127.0.0.1:9");
      default -> throw new IllegalArgumentException(where);
    }
    try (AcrTokenProvider p = b.build()) {
      p.fetch(RegistryTarget.personal("cn-hangzhou"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"acr", "credentials-uri", "oidc", "metadata"})
  void aRedirectIsAnErrorNamingItsTargetWithoutQuery(String where) throws Exception {
    String location = catcher.base() + "/steal?" + SECRET_QUERY;
    try (RawServer server =
        new RawServer(
            out ->
                write(
                    out,
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                        + location
                        + "\r\nContent-Length: 0\r\n\r\n"))) {
      assertThatThrownBy(() -> fetchThrough(where, server.base()))
          .isInstanceOf(TokenException.class)
          .hasMessageContaining("redirect (HTTP 307 to " + catcher.base() + "/steal)")
          .hasMessageNotContaining("leakedQueryValue");
      assertThat(server.connections.get()).isPositive();
    }
    assertThat(catcher.connections.get()).as("nothing was sent to the redirect's target").isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"acr", "credentials-uri", "oidc", "metadata"})
  void aPeerDrippingBytesCannotHoldACallPastItsDeadline(String where) throws Exception {
    try (RawServer server =
        new RawServer(
            out -> {
              write(
                  out,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      + "Content-Length: 100000\r\n\r\n");
              for (int i = 0; i < 100000; i++) {
                write(out, " ");
                try {
                  Thread.sleep(500); // well inside the 10 s read timeout
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return null;
                }
              }
              return null;
            })) {
      long start = System.nanoTime();
      assertTimeoutPreemptively(
          Duration.ofSeconds(20),
          () ->
              assertThatThrownBy(() -> fetchThrough(where, server.base()))
                  .isInstanceOf(TokenException.class)
                  .hasMessageContaining("Timed out"));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      // A 2 s deadline per call; the metadata source makes a few calls before giving up.
      assertThat(took).isLessThan(Duration.ofSeconds(12));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"acr", "credentials-uri", "oidc", "metadata"})
  void aHugeAnswerIsNotReadWhole(String where) throws Exception {
    int size = 5 * 1024 * 1024;
    byte[] chunk = " ".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
    try (RawServer server =
        new RawServer(
            out -> {
              write(
                  out,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                      + (size + 2)
                      + "\r\n\r\n{");
              try {
                for (int sent = 0; sent < size; sent += chunk.length) {
                  out.write(chunk);
                }
                out.write('}');
              } catch (IOException e) {
                // the client stopped reading: what it should do
              }
              return null;
            })) {
      assertThatThrownBy(() -> fetchThrough(where, server.base()))
          .isInstanceOf(TokenException.class)
          .hasMessageContaining("larger than 1024 KiB");
    }
  }
}
