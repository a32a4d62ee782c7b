package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for one local API server: it issues the serving certificate
 * and client certificates. Keys are ECDSA P-256 (fast to generate, understood by Go and by the
 * Kubernetes Java client). Private keys are written in SEC1 ("EC PRIVATE KEY") form because that is
 * the form the Java client's PEM reader recognises.
 */
final class Pki {

  private static final Duration VALIDITY = Duration.ofDays(2);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyPair caKeys;
  private final X509Certificate caCert;

  private Pki(KeyPair caKeys, X509Certificate caCert) {
    this.caKeys = caKeys;
    this.caCert = caCert;
  }

  /** Creates a new self-signed CA. */
  static Pki newCa() {
    KeyPair keys = newKeyPair();
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, "acr-kube-test-ca").build();
    X509Certificate cert =
        sign(
            name,
            keys.getPrivate(),
            name,
            keys.getPublic(),
            true,
            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature),
            null,
            null);
    return new Pki(keys, cert);
  }

  /** A key pair for signing service-account tokens (not a certificate). */
  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate an EC P-256 key pair", e);
    }
  }

  X509Certificate caCertificate() {
    return caCert;
  }

  String caPem() {
    return certificatePem(caCert);
  }

  /** A serving certificate valid for 127.0.0.1 and localhost. */
  Issued issueServer(String commonName) {
    KeyPair keys = newKeyPair();
    return new Issued(certificatePem(serverCertificate(commonName, keys)), privateKeyPem(keys));
  }

  private X509Certificate serverCertificate(String commonName, KeyPair keys) {
    GeneralNames sans =
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              new GeneralName(GeneralName.dNSName, "localhost")
            });
    return sign(
        caName(),
        caKeys.getPrivate(),
        subject(commonName, List.of()),
        keys.getPublic(),
        false,
        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment),
        new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth),
        sans);
  }

  /** Like {@link #issueServer}, with the key in PKCS#8 form ("PRIVATE KEY"). */
  Issued issueServerPkcs8(String commonName) {
    KeyPair keys = newKeyPair();
    X509Certificate cert = serverCertificate(commonName, keys);
    return new Issued(certificatePem(cert), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
  }

  /**
   * A serving certificate for the given host names and IP addresses, key in PKCS#8 form ("PRIVATE
   * KEY"), e.g. for a registry under ACR host names mapped to loopback addresses.
   */
  Issued issueServerFor(String commonName, List<String> dnsNames, List<String> ipAddresses) {
    KeyPair keys = newKeyPair();
    List<GeneralName> names = new java.util.ArrayList<>();
    dnsNames.forEach(name -> names.add(new GeneralName(GeneralName.dNSName, name)));
    ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
    X509Certificate cert =
        sign(
            caName(),
            caKeys.getPrivate(),
            subject(commonName, List.of()),
            keys.getPublic(),
            false,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment),
            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth),
            new GeneralNames(names.toArray(GeneralName[]::new)));
    return new Issued(certificatePem(cert), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
  }

  /** A certificate for a key that signs tokens (no extended key usage), key in PKCS#8 form. */
  Issued issueSigner(String commonName) {
    KeyPair keys = newKeyPair();
    X509Certificate cert =
        sign(
            caName(),
            caKeys.getPrivate(),
            subject(commonName, List.of()),
            keys.getPublic(),
            false,
            new KeyUsage(KeyUsage.digitalSignature),
            null,
            null);
    return new Issued(certificatePem(cert), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
  }

  /**
   * A client certificate: the API server maps the common name to the user name and each
   * organisation to a group.
   */
  Issued issueClient(String user, List<String> groups) {
    KeyPair keys = newKeyPair();
    X509Certificate cert =
        sign(
            caName(),
            caKeys.getPrivate(),
            subject(user, groups),
            keys.getPublic(),
            false,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment),
            new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth),
            null);
    return new Issued(certificatePem(cert), privateKeyPem(keys));
  }

  /** An SSL context that trusts only this CA. */
  SSLContext trustingSslContext() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", caCert);
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), RANDOM);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build an SSL context trusting the test CA", e);
    }
  }

  private X500Name caName() {
    return X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded());
  }

  private static X500Name subject(String commonName, List<String> organisations) {
    X500NameBuilder builder = new X500NameBuilder(BCStyle.INSTANCE);
    for (String organisation : organisations) {
      builder.addRDN(BCStyle.O, organisation);
    }
    return builder.addRDN(BCStyle.CN, commonName).build();
  }

  private static X509Certificate sign(
      X500Name issuer,
      PrivateKey issuerKey,
      X500Name subject,
      PublicKey subjectKey,
      boolean ca,
      KeyUsage keyUsage,
      ExtendedKeyUsage extendedKeyUsage,
      GeneralNames sans) {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            issuer,
            new BigInteger(64, RANDOM).add(BigInteger.ONE),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(VALIDITY)),
            subject,
            subjectKey);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      builder.addExtension(Extension.keyUsage, true, keyUsage);
      addIfPresent(builder, Extension.extendedKeyUsage, extendedKeyUsage);
      addIfPresent(builder, Extension.subjectAlternativeName, sans);
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (CertIOException e) {
      throw new UncheckedIOException(e);
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a test certificate", e);
    }
  }

  private static void addIfPresent(
      X509v3CertificateBuilder builder,
      org.bouncycastle.asn1.ASN1ObjectIdentifier oid,
      ASN1Encodable value)
      throws CertIOException {
    if (value != null) {
      builder.addExtension(oid, false, value);
    }
  }

  static String certificatePem(X509Certificate cert) {
    try {
      return pem("CERTIFICATE", cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encode a certificate", e);
    }
  }

  /**
   * SEC1 form ("EC PRIVATE KEY") including the public key, which both Go and the Java client's PEM
   * reader accept (the JDK's own PKCS#8 encoding omits the public key, which that reader needs).
   */
  static String privateKeyPem(KeyPair keys) {
    ECPrivateKey key = (ECPrivateKey) keys.getPrivate();
    SubjectPublicKeyInfo publicInfo =
        SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    try {
      byte[] sec1 =
          new org.bouncycastle.asn1.sec.ECPrivateKey(
                  key.getParams().getOrder().bitLength(),
                  key.getS(),
                  publicInfo.getPublicKeyData(),
                  publicInfo.getAlgorithm().getParameters())
              .getEncoded();
      return pem("EC PRIVATE KEY", sec1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode an EC private key", e);
    }
  }

  static String publicKeyPem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  private static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** A certificate and its private key, both PEM. Never printed: {@link #toString()} redacts. */
  record Issued(String certificatePem, String privateKeyPem) {
    /** Writes the certificate and the key (PEM) to two files. */
    void writeTo(java.nio.file.Path certificate, java.nio.file.Path key) {
      WorkDirs.write(certificate, certificatePem);
      WorkDirs.write(key, privateKeyPem);
    }

    @Override
    public String toString() {
      return "Issued[certificate, key=<redacted>]";
    }
  }
}
