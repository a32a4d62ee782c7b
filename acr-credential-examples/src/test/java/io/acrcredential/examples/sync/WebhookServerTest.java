package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WebhookServerTest {

  @TempDir Path dir;

  private static final String REVIEW =
      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
          + "\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
          + "\"namespace\":\"team\",\"operation\":\"CREATE\","
          + "\"object\":{\"metadata\":{},\"spec\":{\"containers\":[]}}}}";

  private final SyncMetrics metrics = new SyncMetrics(Clock.systemUTC());
  private final PodPullSecretWebhook webhook =
      new PodPullSecretWebhook(
          io.acrcredential.k8s.PullSecretSync.builder() // never started: answers nothing
              .apiClient(new io.kubernetes.client.openapi.ApiClient())
              .configuration(io.acrcredential.k8s.config.AcrConfiguration.builder().build())
              .tokenProvider(t -> null)
              .build());

  @ParameterizedTest
  @CsvSource({"EC,pkcs8", "EC,traditional", "RSA,pkcs8", "RSA,traditional"})
  void servesOverHttpsWithEveryKeyFormat(String algorithm, String encoding) throws Exception {
    Issued cert = issue(algorithm, "one");
    write(cert, encoding);
    try (WebhookServer server = server(System::nanoTime)) {
      HttpResponse<String> r = post(server.port(), cert.cert, REVIEW);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"uid\":\"u-1\"", "\"allowed\":true");
      assertThat(r.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(cert.cert);
    }
    assertThat(metrics.webhookReviews(PodPullSecretWebhook.Outcome.UNCHANGED)).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("tls.key")))
        .contains(
            encoding.equals("pkcs8") ? "BEGIN PRIVATE KEY" : "BEGIN " + algorithm + " PRIVATE KEY");
  }

  @Test
  void badRequestsAreCountedAndAnswered400() throws Exception {
    Issued cert = issue("EC", "one");
    write(cert, "pkcs8");
    try (WebhookServer server = server(System::nanoTime)) {
      HttpResponse<String> r = post(server.port(), cert.cert, "not json");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("not JSON");
    }
    assertThat(metrics.webhookReviews(PodPullSecretWebhook.Outcome.REJECTED)).isEqualTo(1);
    assertThat(metrics.render())
        .contains("acr_credential_webhook_reviews_total{result=\"rejected\"} 1")
        .contains("acr_credential_webhook_reviews_total{result=\"mutated\"} 0");
  }

  @Test
  void aRotatedCertificateIsServedWithoutRestart() throws Exception {
    AtomicLong now = new AtomicLong();
    Issued first = issue("EC", "first");
    write(first, "pkcs8");
    try (WebhookServer server = server(now::get)) {
      assertThat(peer(post(server.port(), first.cert, REVIEW))).isEqualTo(first.cert);

      Issued second = issue("RSA", "second");
      write(second, "traditional");
      // not checked again before the interval has passed
      assertThat(peer(post(server.port(), first.cert, REVIEW))).isEqualTo(first.cert);
      now.addAndGet(WebhookServer.RELOAD_CHECK_NANOS);
      assertThat(peer(post(server.port(), second.cert, REVIEW))).isEqualTo(second.cert);

      // a half-written pair (new certificate, key not yet) keeps the previous one
      Issued third = issue("EC", "third");
      Files.writeString(dir.resolve("tls.crt"), pem(third.cert));
      Files.writeString(dir.resolve("tls.key"), "garbage");
      now.addAndGet(WebhookServer.RELOAD_CHECK_NANOS);
      assertThat(peer(post(server.port(), second.cert, REVIEW))).isEqualTo(second.cert);
    }
  }

  @Test
  void unreadableFilesAreNamedWithoutTheirContent() throws Exception {
    Issued cert = issue("EC", "one");
    write(cert, "pkcs8");
    Path key = dir.resolve("tls.key");
    Files.writeString(
        key, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXZhbHVl\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> server(System::nanoTime))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("--webhook-key-file " + key)
        .hasMessageNotContaining("c2VjcmV0LXZhbHVl");
    Files.writeString(key, "");
    assertThatThrownBy(() -> server(System::nanoTime))
        .hasMessageContaining("BEGIN PRIVATE KEY (PKCS#8)");
    Files.writeString(dir.resolve("tls.crt"), "nothing");
    write(cert, "pkcs8");
    Files.writeString(dir.resolve("tls.crt"), "nothing");
    assertThatThrownBy(() -> server(System::nanoTime)).hasMessageContaining("--webhook-cert-file");
    Issued other = issue("EC", "other");
    write(cert, "pkcs8");
    Files.writeString(dir.resolve("tls.crt"), pem(other.cert));
    assertThatThrownBy(() -> server(System::nanoTime)).hasMessageContaining("does not fit");
  }

  /**
   * Issue #14, finding 2: four connections that each sent a few TLS bytes held all four worker
   * threads of the JDK server in the handshake, so no AdmissionReview was answered while they
   * stayed. Now 64 of them leave reviews answered at once.
   */
  @Test
  void handshakesThatNeverFinishDoNotBlockReviews() throws Exception {
    Issued cert = issue("EC", "one");
    write(cert, "pkcs8");
    try (WebhookServer server = server(System::nanoTime)) {
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 64; i++) {
          Socket s = new Socket();
          s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
          // the start of a TLS record holding a ClientHello, and nothing more
          s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01});
          s.getOutputStream().flush();
          slow.add(s);
        }
        Thread.sleep(200);
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r = post(server.port(), cert.cert, REVIEW);
          assertThat(r.statusCode()).isEqualTo(200);
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }

  /** A body that does not arrive within the request deadline is answered 408 and counted. */
  @Test
  void aBodyNotSentInTimeIsAnswered408() throws Exception {
    Issued cert = issue("EC", "one");
    write(cert, "pkcs8");
    try (WebhookServer server =
        new WebhookServer(
            new WebhookServer.Files("127.0.0.1", 0, dir.resolve("tls.crt"), dir.resolve("tls.key")),
            webhook,
            metrics,
            System::nanoTime,
            HttpServers.Limits.WEBHOOK.withRequest(500))) {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, trusting(cert.cert).getTrustManagers(), null);
      try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        s.setSoTimeout(5000);
        long t = System.nanoTime();
        s.getOutputStream()
            .write(
                ("POST "
                        + PodPullSecretWebhook.PATH
                        + " HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\"")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        String answer =
            new String(
                s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(answer).startsWith("HTTP/1.1 408");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - t))
            .isLessThan(java.time.Duration.ofSeconds(3));
      }
    }
    assertThat(metrics.webhookReviews(PodPullSecretWebhook.Outcome.REJECTED)).isEqualTo(1);
  }

  /** TLS 1.3, and TLS 1.2 only with forward secrecy and AEAD: no static RSA, no CBC, no SHA-1. */
  @ParameterizedTest
  @CsvSource({
    "TLSv1.3,TLS_AES_128_GCM_SHA256,true",
    "TLSv1.3,TLS_CHACHA20_POLY1305_SHA256,true",
    "TLSv1.2,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,true",
    "TLSv1.2,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,true",
    "TLSv1.2,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,false",
    "TLSv1.2,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,false",
    "TLSv1.2,TLS_RSA_WITH_AES_128_GCM_SHA256,false",
    "TLSv1.2,TLS_RSA_WITH_AES_128_CBC_SHA,false",
    "TLSv1.2,TLS_DHE_RSA_WITH_AES_128_CBC_SHA,false",
  })
  void acceptsOnlyForwardSecretAeadSuites(String protocol, String suite, boolean accepted)
      throws Exception {
    Issued cert = issue("RSA", "one");
    write(cert, "pkcs8");
    try (WebhookServer server = server(System::nanoTime)) {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, trusting(cert.cert).getTrustManagers(), null);
      try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        s.setSoTimeout(5000);
        s.setEnabledProtocols(new String[] {protocol});
        s.setEnabledCipherSuites(new String[] {suite});
        if (accepted) {
          s.startHandshake();
          assertThat(s.getSession().getCipherSuite()).isEqualTo(suite);
        } else {
          assertThatThrownBy(s::startHandshake).isInstanceOf(IOException.class);
        }
      }
    }
  }

  @Test
  void refusesTls11() throws Exception {
    Issued cert = issue("EC", "one");
    write(cert, "pkcs8");
    try (WebhookServer server = server(System::nanoTime)) {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, trusting(cert.cert).getTrustManagers(), null);
      try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        s.setSoTimeout(5000);
        s.setEnabledProtocols(new String[] {"TLSv1.1"});
        assertThatThrownBy(s::startHandshake).isInstanceOf(IOException.class);
      }
    }
  }

  // ---- helpers ----

  private WebhookServer server(java.util.function.LongSupplier nanos) throws IOException {
    return new WebhookServer(
        new WebhookServer.Files("127.0.0.1", 0, dir.resolve("tls.crt"), dir.resolve("tls.key")),
        webhook,
        metrics,
        nanos);
  }

  private static X509Certificate peer(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).isEqualTo(200);
    SSLSession s = r.sslSession().orElseThrow();
    return (X509Certificate) s.getPeerCertificates()[0];
  }

  private static HttpResponse<String> post(int port, X509Certificate trusted, String body)
      throws Exception {
    TrustManagerFactory tmf = trusting(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    // a new client per call: a fresh TLS handshake each time
    HttpClient client = HttpClient.newBuilder().sslContext(tls).build();
    {
      return client.send(
          HttpRequest.newBuilder(
                  URI.create("https://127.0.0.1:" + port + PodPullSecretWebhook.PATH))
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .timeout(java.time.Duration.ofSeconds(5))
              .header("Content-Type", "application/json")
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private static TrustManagerFactory trusting(X509Certificate trusted) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("webhook", trusted);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf;
  }

  private record Issued(X509Certificate cert, KeyPair keys) {}

  private static Issued issue(String algorithm, String cn) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
    g.initialize(algorithm.equals("EC") ? 256 : 2048);
    KeyPair keys = g.generateKeyPair();
    X500Name name = new X500Name("CN=" + cn);
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(1, ChronoUnit.HOURS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)),
            name,
            keys.getPublic());
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    String sig = algorithm.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(b.build(new JcaContentSignerBuilder(sig).build(keys.getPrivate())));
    return new Issued(cert, keys);
  }

  private void write(Issued issued, String encoding) throws Exception {
    Files.writeString(dir.resolve("tls.crt"), pem(issued.cert));
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      if (encoding.equals("pkcs8")) {
        w.writeObject(new JcaPKCS8Generator(issued.keys.getPrivate(), null));
      } else if (issued.keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
        // SEC1 with the curve and public key inside, as openssl and cert-manager write it
        var info =
            org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                issued.keys.getPublic().getEncoded());
        byte[] der =
            new org.bouncycastle.asn1.sec.ECPrivateKey(
                    ec.getParams().getOrder().bitLength(),
                    ec.getS(),
                    info.getPublicKeyData(),
                    info.getAlgorithm().getParameters())
                .getEncoded();
        w.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", der));
      } else {
        w.writeObject(issued.keys.getPrivate()); // RSA: PKCS#1
      }
    }
    Files.writeString(dir.resolve("tls.key"), out.toString());
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }
}
