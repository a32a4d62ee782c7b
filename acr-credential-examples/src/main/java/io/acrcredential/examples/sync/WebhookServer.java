package io.acrcredential.examples.sync;

import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Collection;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating webhook of {@code sync} on an HTTPS server bounded by {@link
 * HttpServers.Limits#WEBHOOK} (TLS 1.3 and AEAD ECDHE suites of TLS 1.2 only, handshakes and slow
 * requests never holding a thread): {@value PodPullSecretWebhook#PATH} answers {@code
 * admission.k8s.io/v1} AdmissionReviews with {@link PodPullSecretWebhook}.
 *
 * <p>The certificate and key are PEM files (as cert-manager or a mounted {@code kubernetes.io/tls}
 * Secret provide them). They are read again when their content changes, checked at most every
 * {@link #RELOAD_CHECK_NANOS} on a TLS handshake, so a rotated certificate is used without a
 * restart; a pair that cannot be read is logged and the previous one kept. Keys: PKCS#8 ({@code
 * BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) and SEC1 EC ({@code BEGIN EC
 * PRIVATE KEY}), unencrypted.
 */
final class WebhookServer implements AutoCloseable {

  /** How often the files are compared with what was loaded, at most. */
  static final long RELOAD_CHECK_NANOS = 2_000_000_000L;

  /** The API server sends at most 3 MiB; anything larger is not a review. */
  private static final int MAX_BODY = 4 * 1024 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);

  /**
   * Where and with what to serve.
   *
   * @param address the listen address
   * @param port the port (0 = any)
   * @param certFile PEM certificate (chain), leaf first
   * @param keyFile PEM private key
   */
  record Files(String address, int port, Path certFile, Path keyFile) {}

  private final Server server;

  WebhookServer(Files files, PodPullSecretWebhook webhook, SyncMetrics metrics) throws IOException {
    this(files, webhook, metrics, System::nanoTime);
  }

  WebhookServer(Files files, PodPullSecretWebhook webhook, SyncMetrics metrics, LongSupplier nanos)
      throws IOException {
    this(files, webhook, metrics, nanos, HttpServers.Limits.WEBHOOK);
  }

  WebhookServer(
      Files files,
      PodPullSecretWebhook webhook,
      SyncMetrics metrics,
      LongSupplier nanos,
      HttpServers.Limits limits)
      throws IOException {
    this(
        files.address(),
        files.port(),
        new ReloadingKeyManager(files.certFile(), files.keyFile(), nanos),
        webhook,
        metrics,
        limits);
  }

  /**
   * Serves with the certificate the key manager chooses (the refresher's own, {@link
   * SelfIssuedCertificate}).
   */
  WebhookServer(
      String address,
      int port,
      X509ExtendedKeyManager keys,
      PodPullSecretWebhook webhook,
      SyncMetrics metrics,
      HttpServers.Limits limits)
      throws IOException {
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(new javax.net.ssl.KeyManager[] {keys}, null, null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e.getMessage(), e);
    }
    long bodyMillis = limits.requestMillis();
    server =
        HttpServers.start(
            "acr-webhook",
            address,
            port,
            limits,
            tls,
            new Handler.Abstract() {
              @Override
              public boolean handle(Request request, Response response, Callback callback) {
                return WebhookServer.handle(
                    request, response, callback, webhook, metrics, bodyMillis);
              }
            });
  }

  int port() {
    return HttpServers.port(server);
  }

  private static boolean handle(
      Request request,
      Response response,
      Callback callback,
      PodPullSecretWebhook webhook,
      SyncMetrics metrics,
      long bodyMillis) {
    if (!PodPullSecretWebhook.PATH.equals(request.getHttpURI().getPath())) {
      return reply(response, callback, 404, null, new byte[0]);
    }
    if (!request.getMethod().equals("POST")) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST");
      return reply(response, callback, 405, null, new byte[0]);
    }
    if (request.getLength() > MAX_BODY) {
      metrics.webhookReviewed(PodPullSecretWebhook.Outcome.REJECTED);
      return reply(response, callback, 413, null, new byte[0]);
    }
    // read without holding a thread while the peer is slow, within the request deadline
    Content.Source.asByteArrayAsync(request, MAX_BODY)
        .orTimeout(bodyMillis, TimeUnit.MILLISECONDS)
        .whenComplete(
            (body, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException ? failure.getCause() : failure;
                metrics.webhookReviewed(PodPullSecretWebhook.Outcome.REJECTED);
                int status =
                    cause instanceof TimeoutException
                        ? 408
                        : cause instanceof IllegalArgumentException ? 413 : 400;
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                reply(response, callback, status, null, new byte[0]);
                return;
              }
              PodPullSecretWebhook.Answer answer;
              try {
                answer = webhook.review(new String(body, StandardCharsets.UTF_8));
              } catch (RuntimeException e) {
                callback.failed(e);
                return;
              }
              metrics.webhookReviewed(answer.outcome());
              reply(
                  response,
                  callback,
                  answer.httpStatus(),
                  answer.contentType(),
                  answer.body().getBytes(StandardCharsets.UTF_8));
            });
    return true;
  }

  private static boolean reply(
      Response response, Callback callback, int status, String type, byte[] body) {
    response.setStatus(status);
    if (type != null) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    }
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }

  @Override
  public void close() {
    HttpServers.stop(server);
  }

  /**
   * Reads a certificate chain and a private key from PEM files into a key manager.
   *
   * @throws IOException naming the file and what is wrong with it (never its content)
   */
  static X509KeyManager load(Path certFile, Path keyFile) throws IOException {
    return load(certFile, readFile(certFile, "certificate"), keyFile, readFile(keyFile, "key"));
  }

  private static X509KeyManager load(Path certFile, byte[] certPem, Path keyFile, byte[] keyPem)
      throws IOException {
    Certificate[] chain;
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(certPem));
      chain = certs.toArray(new Certificate[0]);
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "--webhook-cert-file " + certFile + " holds no readable PEM certificate", e);
    }
    if (chain.length == 0) {
      throw new IOException("--webhook-cert-file " + certFile + " holds no PEM certificate");
    }
    PrivateKey key = privateKey(keyFile, keyPem);
    if (!fits(key, chain[0])) {
      throw new IOException(
          "the key in --webhook-key-file "
              + keyFile
              + " does not fit the certificate in --webhook-cert-file "
              + certFile
              + " (is the certificate first in the file?)");
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = "in-memory".toCharArray();
      store.setKeyEntry("webhook", key, password, chain);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      for (javax.net.ssl.KeyManager km : kmf.getKeyManagers()) {
        if (km instanceof X509KeyManager x) {
          return x;
        }
      }
      throw new IOException("no X.509 key manager available");
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "the key in --webhook-key-file "
              + keyFile
              + " does not fit the certificate in "
              + certFile
              + ": "
              + e.getClass().getSimpleName(),
          e);
    }
  }

  /** Whether a signature made with the key verifies with the certificate's public key. */
  private static boolean fits(PrivateKey key, Certificate cert) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return true; // left to the TLS handshake
    }
    try {
      byte[] probe = "acr-credential webhook key check".getBytes(StandardCharsets.US_ASCII);
      java.security.Signature signer = java.security.Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static PrivateKey privateKey(Path keyFile, byte[] pem) throws IOException {
    Object parsed;
    try (PEMParser parser =
        new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      parsed = parser.readObject();
    } catch (IOException | RuntimeException e) {
      // the parser's message may quote the file; say only where and what
      throw new IOException(
          "--webhook-key-file " + keyFile + " is not a readable PEM private key", null);
    }
    PrivateKeyInfo info =
        parsed instanceof PEMKeyPair pair
            ? pair.getPrivateKeyInfo()
            : parsed instanceof PrivateKeyInfo p ? p : null;
    if (info != null) {
      String oid = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
      String algorithm =
          switch (oid) {
            case "1.2.840.10045.2.1" -> "EC";
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.3.101.112" -> "Ed25519";
            default -> null;
          };
      if (algorithm == null) {
        throw new IOException(
            "--webhook-key-file " + keyFile + ": unsupported key algorithm " + oid, null);
      }
      try {
        var params = info.getPrivateKeyAlgorithm().getParameters();
        if (algorithm.equals("EC")
            && (params == null || params instanceof org.bouncycastle.asn1.ASN1Null)) {
          // SEC1 keys carry the curve inside; the JDK wants it in the algorithm identifier
          org.bouncycastle.asn1.sec.ECPrivateKey ec =
              org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
          info =
              new PrivateKeyInfo(
                  new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                      info.getPrivateKeyAlgorithm().getAlgorithm(), ec.getParametersObject()),
                  ec);
        }
        return KeyFactory.getInstance(algorithm)
            .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
      } catch (GeneralSecurityException | IOException e) {
        throw new IOException(
            "--webhook-key-file " + keyFile + ": not a valid " + algorithm + " private key", e);
      }
    }
    throw new IOException(
        "--webhook-key-file "
            + keyFile
            + " holds "
            + (parsed == null ? "no PEM block" : "no unencrypted private key")
            + "; expected BEGIN PRIVATE KEY (PKCS#8), BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE"
            + " KEY");
  }

  private static byte[] readFile(Path file, String what) throws IOException {
    try {
      return java.nio.file.Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IOException(
          "cannot read the webhook " + what + " file " + file + ": " + e.getClass().getSimpleName(),
          e);
    }
  }

  /**
   * Delegates to the key manager of the files' current content; checks them at most every {@link
   * #RELOAD_CHECK_NANOS} and keeps the previous pair when the new one cannot be read (cert-manager
   * may write the two files a moment apart).
   */
  static final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private final Path certFile;
    private final Path keyFile;
    private final LongSupplier nanos;
    private volatile X509KeyManager current;
    private volatile long checkedAt;
    private byte[] certBytes;
    private byte[] keyBytes;
    private final AtomicInteger reloads = new AtomicInteger();

    ReloadingKeyManager(Path certFile, Path keyFile, LongSupplier nanos) throws IOException {
      this.certFile = certFile;
      this.keyFile = keyFile;
      this.nanos = nanos;
      byte[] c = readFile(certFile, "certificate");
      byte[] k = readFile(keyFile, "key");
      this.current = load(certFile, c, keyFile, k);
      this.certBytes = c;
      this.keyBytes = k;
      this.checkedAt = nanos.getAsLong();
    }

    /** How often a changed pair was loaded. */
    int reloads() {
      return reloads.get();
    }

    X509KeyManager current() {
      long now = nanos.getAsLong();
      if (now - checkedAt >= RELOAD_CHECK_NANOS) {
        synchronized (this) {
          if (now - checkedAt >= RELOAD_CHECK_NANOS) {
            checkedAt = now;
            reloadIfChanged();
          }
        }
      }
      return current;
    }

    private void reloadIfChanged() {
      try {
        byte[] c = java.nio.file.Files.readAllBytes(certFile);
        byte[] k = java.nio.file.Files.readAllBytes(keyFile);
        if (Arrays.equals(c, certBytes) && Arrays.equals(k, keyBytes)) {
          return;
        }
        current = load(certFile, c, keyFile, k);
        certBytes = c;
        keyBytes = k;
        reloads.incrementAndGet();
        LOG.info("webhook: loaded the changed certificate {} and key {}", certFile, keyFile);
      } catch (IOException e) {
        LOG.warn("webhook: keeping the previous certificate: {}", e.getMessage());
      }
    }

    /** The leaf certificate served now. */
    X509Certificate leaf() {
      X509Certificate[] chain = current().getCertificateChain("webhook");
      return chain == null || chain.length == 0 ? null : chain[0];
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return current().getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return current().chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return current().getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return current().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      X509KeyManager km = current();
      if (km instanceof X509ExtendedKeyManager x) {
        return x.chooseEngineServerAlias(keyType, issuers, engine);
      }
      return km.chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return current().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return current().getPrivateKey(alias);
    }
  }
}
