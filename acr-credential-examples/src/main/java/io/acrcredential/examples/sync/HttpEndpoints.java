package io.acrcredential.examples.sync;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * {@code /healthz} (the process runs), {@code /readyz} (caches filled, workers running) and {@code
 * /metrics} (Prometheus text format), on a small server with the bounds of {@link
 * HttpServers.Limits#PROBES}: a slow or hostile client holds only its own connection, never the
 * thread that answers the kubelet.
 */
final class HttpEndpoints implements AutoCloseable {

  private final Server server;

  HttpEndpoints(String address, int port, BooleanSupplier ready, Supplier<String> metrics)
      throws IOException {
    this(address, port, ready, metrics, HttpServers.Limits.PROBES);
  }

  HttpEndpoints(
      String address,
      int port,
      BooleanSupplier ready,
      Supplier<String> metrics,
      HttpServers.Limits limits)
      throws IOException {
    server =
        HttpServers.start(
            "acr-http",
            address,
            port,
            limits,
            null,
            new Handler.Abstract() {
              @Override
              public boolean handle(Request request, Response response, Callback callback) {
                String path = request.getHttpURI().getPath();
                String method = request.getMethod();
                if (!method.equals("GET") && !method.equals("HEAD")) {
                  response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                  return reply(response, callback, 405, "text/plain", "");
                }
                return switch (path == null ? "" : path) {
                  case "/healthz" -> reply(response, callback, 200, "text/plain", "ok\n");
                  case "/readyz" -> {
                    boolean ok = ready.getAsBoolean();
                    yield reply(
                        response,
                        callback,
                        ok ? 200 : 503,
                        "text/plain",
                        ok ? "ready\n" : "not ready\n");
                  }
                  case "/metrics" ->
                      reply(response, callback, 200, SyncMetrics.CONTENT_TYPE, metrics.get());
                  default -> reply(response, callback, 404, "text/plain", "");
                };
              }
            });
  }

  int port() {
    return HttpServers.port(server);
  }

  private static boolean reply(
      Response response, Callback callback, int status, String type, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, java.nio.ByteBuffer.wrap(bytes), callback);
    return true;
  }

  @Override
  public void close() {
    HttpServers.stop(server);
  }
}
