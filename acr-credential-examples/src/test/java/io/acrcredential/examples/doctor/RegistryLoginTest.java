package io.acrcredential.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Docker token flow as ACR's registry runs it ({@code WWW-Authenticate: Bearer} with a realm
 * and service, a token asked with Basic authentication), played by a loopback server standing in
 * for the Alibaba endpoint. The Basic flow is covered with Debian's docker-registry in DoctorIT.
 */
class RegistryLoginTest {

  static final String USER = "cr_temp_user";
  static final String PASSWORD = "login-test-password-9";
  static final String TOKEN = "registry-bearer-token-7";

  HttpServer server;
  String host;
  final List<String> seen = new CopyOnWriteArrayList<>();
  volatile String realm;
  final CountDownLatch release = new CountDownLatch(1);

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    host = "127.0.0.1:" + server.getAddress().getPort();
    realm = "http://" + host + "/auth";
    server.createContext(
        "/v2/",
        ex -> {
          seen.add(ex.getRequestMethod() + " " + ex.getRequestURI());
          String auth = ex.getRequestHeaders().getFirst("Authorization");
          if (auth == null || !auth.equals("Bearer " + TOKEN)) {
            ex.getResponseHeaders()
                .add(
                    "WWW-Authenticate",
                    "Bearer realm=\""
                        + realm
                        + "\",service=\"registry.aliyuncs.com:cn-hangzhou:1\"");
            reply(ex, 401, "{}");
            return;
          }
          if (ex.getRequestURI().getPath().equals("/v2/")) {
            reply(ex, 200, "{}");
          } else if (ex.getRequestURI().getPath().equals("/v2/team/app/manifests/1")) {
            reply(ex, 200, "");
          } else {
            reply(ex, 404, "");
          }
        });
    server.createContext(
        "/auth",
        ex -> {
          seen.add("GET " + ex.getRequestURI());
          String expected =
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
          if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            reply(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
            return;
          }
          reply(ex, 200, "{\"token\":\"" + TOKEN + "\"}");
        });
    server.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
  }

  static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    if (ex.getRequestMethod().equals("HEAD") || b.length == 0) {
      ex.sendResponseHeaders(status, -1);
    } else {
      ex.sendResponseHeaders(status, b.length);
      ex.getResponseBody().write(b);
    }
    ex.close();
  }

  RegistryLogin.Result check(String image, String password) {
    return new RegistryLogin(Duration.ofSeconds(5))
        .check(ImageReference.parse(host + "/" + image), USER, password);
  }

  @Test
  void tokenFlowAcceptsTheLoginAndFindsTheManifest() {
    RegistryLogin.Result r = check("team/app:1", PASSWORD);
    assertThat(r.kind()).as(r.detail()).isEqualTo(RegistryLogin.Kind.ACCEPTED);
    assertThat(seen)
        .anyMatch(s -> s.startsWith("GET /auth?scope=repository%3Ateam%2Fapp%3Apull&service="));
    assertThat(r.detail()).doesNotContain(TOKEN).doesNotContain(PASSWORD);
  }

  @Test
  void wrongPasswordIsRejectedMissingTagIsNotFound() {
    assertThat(check("team/app:1", "wrong").kind()).isEqualTo(RegistryLogin.Kind.REJECTED);
    assertThat(check("team/app:2", PASSWORD).kind()).isEqualTo(RegistryLogin.Kind.NOT_FOUND);
  }

  @Test
  void aPlainHttpRealmElsewhereGetsNoCredentials() {
    realm = "http://auth.example.com/token";
    RegistryLogin.Result r = check("team/app:1", PASSWORD);
    assertThat(r.kind()).isEqualTo(RegistryLogin.Kind.UNREACHABLE);
    assertThat(r.detail()).contains("not HTTPS");
  }

  @Test
  void aStallingBodyIsCutOffAfterTheTimeout() {
    server.createContext(
        "/slow/",
        ex -> {
          ex.sendResponseHeaders(401, 0); // chunked, then nothing
          ex.getResponseBody().write("{".getBytes(StandardCharsets.UTF_8));
          ex.getResponseBody().flush();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
    realm = "http://" + host + "/slow/token";
    long t0 = System.nanoTime();
    RegistryLogin.Result r =
        new RegistryLogin(Duration.ofSeconds(1))
            .check(ImageReference.parse(host + "/team/app:1"), USER, PASSWORD);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.kind())
        .as(r.detail())
        .isIn(RegistryLogin.Kind.REJECTED, RegistryLogin.Kind.UNREACHABLE);
    assertThat(ms).as("bounded by the timeout, not the server's 30 s").isLessThan(10_000);
  }

  @Test
  void loopbackOnlyByLiteral() {
    assertThat(RegistryLogin.isLoopback("127.0.0.1")).isTrue();
    assertThat(RegistryLogin.isLoopback("localhost")).isTrue();
    assertThat(RegistryLogin.isLoopback("[::1]")).isTrue();
    assertThat(RegistryLogin.isLoopback("127.0.0.1.example.com")).isFalse();
    assertThat(RegistryLogin.isLoopback("registry.cn-hangzhou.aliyuncs.com")).isFalse();
  }
}
