package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.util.SSLUtils;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

class PkiTest {

  private final Pki pki = Pki.newCa();

  @Test
  void clientCertificateCarriesUserAndGroupsAndIsSignedByTheCa() throws Exception {
    Pki.Issued issued = pki.issueClient("alice", List.of("team-a", "team-b"));

    X509Certificate cert = parse(issued.certificatePem());
    cert.verify(pki.caCertificate().getPublicKey());
    String subject = cert.getSubjectX500Principal().getName();
    assertThat(subject).contains("CN=alice").contains("O=team-a").contains("O=team-b");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
  }

  @Test
  void serverCertificateIsValidForLoopback() throws Exception {
    X509Certificate cert = parse(pki.issueServer("kube-apiserver").certificatePem());

    cert.verify(pki.caCertificate().getPublicKey());
    assertThat(cert.getSubjectAlternativeNames())
        .extracting(entry -> (Object) entry.get(1))
        .containsExactlyInAnyOrder((Object) "127.0.0.1", "localhost");
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(pki.caCertificate().getBasicConstraints()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void privateKeyPemIsReadableByTheKubernetesJavaClient() throws Exception {
    Pki.Issued issued = pki.issueClient("bob", List.of());

    PrivateKey key = SSLUtils.loadKey(issued.privateKeyPem().getBytes(StandardCharsets.US_ASCII));
    assertThat(key.getAlgorithm()).isIn("EC", "ECDSA");
    assertThat(issued.privateKeyPem()).startsWith("-----BEGIN EC PRIVATE KEY-----\n");
  }

  @Test
  void issuedToStringHidesTheKey() {
    Pki.Issued issued = pki.issueClient("carol", List.of());
    assertThat(issued.toString()).doesNotContain("PRIVATE KEY").contains("redacted");
  }

  private static X509Certificate parse(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }
}
