package io.acrcredential.k8s;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A test-only HTTPS front for {@link PodPullSecretWebhook} on 127.0.0.1 (the refresher's own server
 * lives in acr-credential-examples). The webhook behind it can be swapped, and the time each review
 * took inside the handler is recorded.
 */
final class WebhookHttpsServer implements AutoCloseable {

  private final HttpsServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private volatile PodPullSecretWebhook webhook;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();
  final List<Long> handlerNanos = new CopyOnWriteArrayList<>();
  final List<PodPullSecretWebhook.Answer> answers = new CopyOnWriteArrayList<>();

  WebhookHttpsServer(String certificatePem, String pkcs8KeyPem) throws Exception {
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers(certificatePem, pkcs8KeyPem), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.setExecutor(executor);
    server.createContext(
        PodPullSecretWebhook.PATH,
        ex -> {
          try (ex) {
            String body;
            try (InputStream in = ex.getRequestBody()) {
              body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            PodPullSecretWebhook w = webhook;
            if (w == null) {
              ex.sendResponseHeaders(503, -1);
              return;
            }
            long t0 = System.nanoTime();
            PodPullSecretWebhook.Answer a = w.review(body);
            handlerNanos.add(System.nanoTime() - t0);
            answers.add(a);
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", a.contentType());
            ex.sendResponseHeaders(a.httpStatus(), bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(bytes);
            }
          }
        });
    server.start();
  }

  void serve(PodPullSecretWebhook w) {
    this.webhook = w;
  }

  String url() {
    return "https://127.0.0.1:" + server.getAddress().getPort() + PodPullSecretWebhook.PATH;
  }

  private static javax.net.ssl.KeyManager[] keyManagers(String certPem, String keyPem)
      throws Exception {
    Certificate cert =
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)));
    PrivateKey key =
        KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der(keyPem)));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "test".toCharArray();
    store.setKeyEntry("webhook", key, password, new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password);
    return kmf.getKeyManagers();
  }

  private static byte[] der(String pem) throws IOException {
    String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(body);
  }

  /** Stops listening at once: the API server's next call is refused. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
