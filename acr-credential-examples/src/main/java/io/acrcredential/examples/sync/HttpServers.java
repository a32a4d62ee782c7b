package io.acrcredential.examples.sync;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP(S) servers of {@code sync} (probes and metrics, the Pod webhook) on Jetty, with the
 * limits that keep a slow or hostile peer from costing more than its own connection.
 *
 * <p>The JDK's built-in server read each request, and did each TLS handshake, with a blocking read
 * on one of its few worker threads, and set no time limit: one connection sending half a request
 * stopped the probes, four connections sending a few TLS bytes stopped the webhook (issue #14). The
 * JDK server's own knobs do not cure this: {@code sun.net.httpserver.maxReqTime} and {@code
 * maxRspTime} are process-wide system properties read once, and a slow peer still holds a worker
 * thread until they expire (so with a few threads a few peers still stop the server, and with many
 * threads each peer costs a thread); the HTTPS handshake runs inside the same blocking read. Jetty
 * reads request headers and does handshakes without holding a thread while it waits for the peer; a
 * thread runs the handler only once the header section is in. On top of that:
 *
 * <ul>
 *   <li>at most {@link Limits#maxConnections()} connections; beyond that the listener stops
 *       accepting until one closes (the kernel's backlog holds the rest);
 *   <li>a connection must deliver its first request's header section, TLS handshake included,
 *       within {@link Limits#requestMillis()} of being accepted, or it is closed; a request body
 *       must be complete in the same time (the webhook answers 408);
 *   <li>a connection with no traffic for {@link Limits#idleMillis()} is closed;
 *   <li>a header section larger than {@link Limits#maxHeaderBytes()} is answered 431;
 *   <li>TLS: {@link #PROTOCOLS} only, and for TLS 1.2 only the ECDHE suites with AEAD ciphers
 *       ({@link #TLS12_SUITES}): forward secrecy, no CBC, no SHA-1, no static RSA; no
 *       renegotiation.
 * </ul>
 */
final class HttpServers {

  /** Heap and direct memory each that the buffer pool keeps for reuse, at most. */
  static final long RETAINED_BUFFER_BYTES = 4L * 1024 * 1024;

  /** TLS versions served. */
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** All TLS 1.3 suites are ephemeral and AEAD. */
  static final List<String> TLS13_SUITES =
      List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

  /** ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, for ECDSA and RSA certificates. */
  static final List<String> TLS12_SUITES =
      List.of(
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * The bounds of one server.
   *
   * @param maxConnections open connections at most
   * @param maxThreads threads of the server's pool at most (the acceptor and selector included)
   * @param idleMillis a connection with no traffic this long is closed
   * @param requestMillis time from accepting a connection until its first request's header section
   *     is in (TLS handshake included), and for reading a request body
   * @param maxHeaderBytes the request line and headers at most
   */
  record Limits(
      int maxConnections, int maxThreads, long idleMillis, long requestMillis, int maxHeaderBytes) {

    /**
     * Probes and metrics: the kubelet and a scraper, a few requests a minute; room for 200 and more
     * hostile connections beside them.
     */
    static final Limits PROBES = new Limits(512, 8, 30_000, 10_000, 8 * 1024);

    /**
     * The webhook: the API server keeps connections open and sends Pod CREATEs in parallel; its own
     * call timeout is at most 30 s (10 s by default), so a request that takes longer to arrive is
     * not worth answering.
     */
    static final Limits WEBHOOK = new Limits(1024, 16, 60_000, 10_000, 16 * 1024);

    /**
     * The same with another request deadline.
     *
     * @param millis the new {@link #requestMillis()}
     * @return the changed limits
     */
    Limits withRequest(long millis) {
      return new Limits(maxConnections, maxThreads, idleMillis, millis, maxHeaderBytes);
    }
  }

  private HttpServers() {}

  /**
   * Starts a server on one listen address.
   *
   * @param name the threads' name prefix
   * @param address the listen address
   * @param port the port, 0 for any
   * @param limits the bounds
   * @param tls the TLS context for HTTPS, or null for plain HTTP
   * @param handler answers the requests
   * @return the started server
   * @throws IOException when the address cannot be bound
   */
  static Server start(
      String name, String address, int port, Limits limits, SSLContext tls, Handler handler)
      throws IOException {
    QueuedThreadPool pool = new QueuedThreadPool(limits.maxThreads(), 2, 60_000);
    pool.setName(name);
    pool.setDaemon(true);
    pool.setReservedThreads(0);
    // buffers kept for reuse after a burst: a few MiB, not Jetty's default share of the heap
    ArrayByteBufferPool buffers =
        new ArrayByteBufferPool(0, 0, -1, -1, RETAINED_BUFFER_BYTES, RETAINED_BUFFER_BYTES);
    Server server = new Server(pool, null, buffers);
    server.setStopAtShutdown(false);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setSendDateHeader(false);
    http.setRequestHeaderSize(limits.maxHeaderBytes());
    http.setIdleTimeout(limits.requestMillis()); // a blocked read of a body in a handler
    HttpConnectionFactory h1 = new HttpConnectionFactory(http);
    ConnectionFactory[] factories;
    if (tls == null) {
      factories = new ConnectionFactory[] {h1};
    } else {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(tls);
      ssl.setIncludeProtocols(PROTOCOLS.toArray(new String[0]));
      ssl.setIncludeCipherSuites(
          java.util.stream.Stream.concat(TLS13_SUITES.stream(), TLS12_SUITES.stream())
              .toArray(String[]::new));
      ssl.setRenegotiationAllowed(false);
      // The caller already checked our certificate against the name it connected to; a Host
      // header that names another of our names is no reason to answer 400.
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      factories = new ConnectionFactory[] {new SslConnectionFactory(ssl, "http/1.1"), h1};
    }
    ServerConnector connector = new ServerConnector(server, 1, 1, factories);
    connector.setHost(address);
    connector.setPort(port);
    connector.setIdleTimeout(limits.idleMillis());
    connector.setAcceptQueueSize(128);
    FirstRequestDeadline deadline = new FirstRequestDeadline(connector, limits.requestMillis());
    connector.addBean(deadline);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
    server.setHandler(deadline.wrap(handler));
    try {
      server.start();
    } catch (IOException e) {
      stop(server);
      throw e;
    } catch (Exception e) {
      stop(server);
      throw new IOException("cannot start the server on " + address + ":" + port, e);
    }
    return server;
  }

  /**
   * The port the server listens on.
   *
   * @param server a server from {@link #start}
   * @return the bound port
   */
  static int port(Server server) {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  /**
   * Stops a server and its threads at once.
   *
   * @param server a server from {@link #start}
   */
  static void stop(Server server) {
    try {
      server.setStopTimeout(0);
      server.stop();
    } catch (Exception e) {
      // stopping: nothing left to do with it
    }
  }

  /**
   * Closes every connection whose first request has not reached the handler within the deadline
   * after it was accepted, whether it stalls in the TLS handshake or in the header section. Jetty's
   * idle timeout alone would let a peer that sends one byte at a time hold a connection forever.
   */
  private static final class FirstRequestDeadline implements Connection.Listener {
    private final ServerConnector connector;
    private final long millis;
    private final Map<Connection, Boolean> waiting = new ConcurrentHashMap<>();

    FirstRequestDeadline(ServerConnector connector, long millis) {
      this.connector = connector;
      this.millis = millis;
    }

    @Override
    public void onOpened(Connection connection) {
      if (connection instanceof SslConnection) {
        return; // the HTTP connection inside it is watched, and closing it closes both
      }
      waiting.put(connection, Boolean.TRUE);
      connector
          .getScheduler()
          .schedule(
              () -> {
                if (waiting.remove(connection) != null) {
                  connection.getEndPoint().close();
                }
              },
              millis,
              TimeUnit.MILLISECONDS);
    }

    @Override
    public void onClosed(Connection connection) {
      waiting.remove(connection);
    }

    Handler wrap(Handler handler) {
      return new Handler.Wrapper(handler) {
        @Override
        public boolean handle(Request request, Response response, Callback callback)
            throws Exception {
          waiting.remove(request.getConnectionMetaData().getConnection());
          return super.handle(request, response, callback);
        }
      };
    }
  }
}
