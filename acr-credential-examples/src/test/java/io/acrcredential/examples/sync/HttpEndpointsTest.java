package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe and metrics endpoints, and what a slow or hostile client can do to them. */
class HttpEndpointsTest {

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void answersProbesAndMetrics() throws Exception {
    try (HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, () -> false, () -> "m 1\n")) {
      assertThat(get(http.port(), "/healthz").body()).isEqualTo("ok\n");
      HttpResponse<String> ready = get(http.port(), "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("not ready\n");
      HttpResponse<String> metrics = get(http.port(), "/metrics");
      assertThat(metrics.body()).isEqualTo("m 1\n");
      assertThat(metrics.headers().firstValue("Content-Type").orElseThrow())
          .startsWith("text/plain; version=0.0.4");
      assertThat(get(http.port(), "/healthz/x").statusCode()).isEqualTo(404);
      assertThat(get(http.port(), "/other").statusCode()).isEqualTo(404);
      HttpResponse<String> post =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/healthz"))
                  .POST(HttpRequest.BodyPublishers.ofString("x"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }

  /**
   * Issue #14, finding 2: one connection that sent half a request blocked /healthz for as long as
   * it stayed open (the JDK server read requests on its only worker thread). Now 50 such
   * connections leave the probes answering at once.
   */
  @Test
  void halfSentRequestsDoNotBlockTheProbes() throws Exception {
    try (HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, () -> true, () -> "")) {
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 50; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", http.port()), 2000);
          OutputStream out = s.getOutputStream();
          out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          slow.add(s);
        }
        Thread.sleep(200); // let the server pick them up
        for (int i = 0; i < 5; i++) {
          long t = System.nanoTime();
          assertThat(get(http.port(), "/healthz").body()).isEqualTo("ok\n");
          assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(2));
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }

  /** A connection that does not finish its request within the deadline is closed by the server. */
  @Test
  void aRequestNotFinishedInTimeIsCutOff() throws Exception {
    try (HttpEndpoints http =
            new HttpEndpoints(
                "127.0.0.1", 0, () -> true, () -> "", HttpServers.Limits.PROBES.withRequest(500));
        Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", http.port()), 2000);
      s.setSoTimeout(100);
      long t = System.nanoTime();
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      boolean closed = false;
      // one header byte every 100 ms: never idle long, but never done
      for (int i = 0; i < 80 && !closed; i++) {
        try {
          out.write(i == 0 ? 'G' : 'x');
          out.flush();
          closed = in.read() == -1;
        } catch (java.net.SocketTimeoutException stillOpen) {
          // keep dripping
        } catch (java.io.IOException reset) {
          closed = true;
        }
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t);
      assertThat(closed).as("closed by the server").isTrue();
      assertThat(took).isLessThan(Duration.ofSeconds(3));
    }
  }

  /** A header section larger than the limit is refused, not buffered. */
  @Test
  void oversizedHeadersAreRefused() throws Exception {
    try (HttpEndpoints http = new HttpEndpoints("127.0.0.1", 0, () -> true, () -> "")) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/healthz"))
                  .header("X-Big", "a".repeat(64 * 1024))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(431);
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
