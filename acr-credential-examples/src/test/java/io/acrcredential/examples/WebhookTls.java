package io.acrcredential.examples;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** How the webhook tests reach the refresher's HTTPS port as the API server would. */
public final class WebhookTls {

  private WebhookTls() {}

  /** The first certificate of a PEM text. */
  public static X509Certificate certificate(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  /** A TLS context that trusts exactly these CAs (the JDK's own stay out). */
  public static SSLContext trusting(List<X509Certificate> cas) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (X509Certificate ca : cas) {
      trust.setCertificateEntry("ca" + i++, ca);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  /**
   * The serial number of the leaf certificate a fresh handshake (no resumed session) with {@code
   * 127.0.0.1:port} presents, verified against {@code cas} and the name 127.0.0.1.
   */
  public static BigInteger servedSerial(int port, List<X509Certificate> cas) throws Exception {
    SSLContext context = trusting(cas);
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      try (SSLSocket socket =
          (SSLSocket) context.getSocketFactory().createSocket(plain, "127.0.0.1", port, true)) {
        socket.setSoTimeout(10_000);
        var params = socket.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // the name 127.0.0.1 must match too
        socket.setSSLParameters(params);
        socket.startHandshake();
        return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
      }
    }
  }
}
