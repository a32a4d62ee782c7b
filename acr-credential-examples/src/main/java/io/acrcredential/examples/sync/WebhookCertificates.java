package io.acrcredential.examples.sync;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * The webhook's own certificate authority and serving certificate, as kept in the data of one
 * Secret: what to issue, when to rotate, and how to read it back. Pure (no API calls): {@link
 * #next} takes what the Secret holds and says what it should hold now.
 *
 * <p>Keys are ECDSA P-256 made by the JDK; certificates are built with Bouncy Castle's PKIX
 * classes. Rotation keeps Pods admitted throughout: a CA whose remaining life falls below a third
 * first gets a successor that is only <em>trusted</em> (added to {@code ca.crt}, so the
 * registration's {@code caBundle} carries both); once less than a sixth remains the successor signs
 * a new serving certificate, and the old CA stays trusted until it expires. A serving certificate
 * is renewed when less than a third of its life remains or when it no longer covers the hosts.
 *
 * <p>Secret keys: {@link #CA_BUNDLE} (every trusted CA, PEM), {@link #CA_KEY} (the signing CA's
 * key), {@link #NEXT_CA_CERT}/{@link #NEXT_CA_KEY} (a successor CA while one exists), {@link
 * #TLS_CERT}/{@link #TLS_KEY} (the serving pair). Private keys are PKCS#8 PEM and never appear in
 * {@link #toString()}s, logs or exception messages.
 */
final class WebhookCertificates {

  static final String CA_BUNDLE = "ca.crt";
  static final String CA_KEY = "ca.key";
  static final String NEXT_CA_CERT = "next-ca.crt";
  static final String NEXT_CA_KEY = "next-ca.key";
  static final String TLS_CERT = "tls.crt";
  static final String TLS_KEY = "tls.key";

  /** Certificates are dated this much into the past, for clocks a little behind ours. */
  static final Duration BACKDATE = Duration.ofMinutes(1);

  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookCertificates() {}

  /**
   * How long what is issued lives.
   *
   * @param ca the CA's life
   * @param serving the serving certificate's life (capped by the CA's remaining life)
   */
  record Lifetimes(Duration ca, Duration serving) {
    static final Lifetimes DEFAULT = new Lifetimes(Duration.ofDays(3650), Duration.ofDays(90));

    Lifetimes {
      if (ca.compareTo(Duration.ofSeconds(30)) < 0
          || serving.compareTo(Duration.ofSeconds(10)) < 0) {
        throw new IllegalArgumentException(
            "the webhook CA must live at least 30s and the serving certificate at least 10s");
      }
      if (serving.multipliedBy(4).compareTo(ca) > 0) {
        throw new IllegalArgumentException(
            "the webhook CA must live at least four times as long as the serving certificate");
      }
    }

    /** How often a replica looks at the Secret: a tenth of the shorter life, at most a minute. */
    Duration checkEvery() {
      Duration d = serving.dividedBy(10);
      return d.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : d;
    }
  }

  /**
   * What the serving certificate must cover.
   *
   * @param dnsNames DNS names (subject alternative names)
   * @param ips IP addresses (IP SANs), literal
   */
  record Hosts(List<String> dnsNames, List<String> ips) {
    Hosts {
      dnsNames = List.copyOf(dnsNames);
      ips = List.copyOf(ips);
      if (dnsNames.isEmpty() && ips.isEmpty()) {
        throw new IllegalArgumentException("the webhook certificate needs a host");
      }
    }

    /** The names a Service {@code name} in {@code namespace} is called by. */
    static Hosts ofService(String namespace, String name) {
      return new Hosts(
          List.of(
              name + "." + namespace + ".svc",
              name + "." + namespace + ".svc.cluster.local",
              name + "." + namespace,
              name),
          List.of());
    }

    /** One host: an IP literal becomes an IP SAN, anything else a DNS name. */
    static Hosts ofHost(String host) {
      String h =
          host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
      return isIpLiteral(h) ? new Hosts(List.of(), List.of(h)) : new Hosts(List.of(h), List.of());
    }

    static boolean isIpLiteral(String h) {
      return h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")
          || (h.contains(":") && h.matches("[0-9a-fA-F:.]+"));
    }
  }

  /**
   * The content of the Secret, parsed.
   *
   * @param trusted every CA certificate in {@link #CA_BUNDLE}, newest first
   * @param caKey the signing CA's key (its certificate is the one in {@code trusted} it fits)
   * @param next the successor CA and its key, or empty
   * @param servingChain the serving certificate
   * @param servingKey its key
   */
  record State(
      List<X509Certificate> trusted,
      PrivateKey caKey,
      Optional<Issued> next,
      X509Certificate serving,
      PrivateKey servingKey) {

    /** The signing CA: the trusted certificate whose key is {@code caKey}. */
    Optional<X509Certificate> signingCa() {
      return trusted.stream().filter(c -> fits(caKey, c)).findFirst();
    }

    /** The Secret data. */
    Map<String, byte[]> toData() {
      Map<String, byte[]> data = new LinkedHashMap<>();
      data.put(CA_BUNDLE, ascii(pem(trusted)));
      data.put(CA_KEY, ascii(pemKey(caKey)));
      next.ifPresent(
          n -> {
            data.put(NEXT_CA_CERT, ascii(pem(List.of(n.certificate()))));
            data.put(NEXT_CA_KEY, ascii(pemKey(n.key())));
          });
      data.put(TLS_CERT, ascii(pem(List.of(serving))));
      data.put(TLS_KEY, ascii(pemKey(servingKey)));
      return data;
    }

    @Override
    public String toString() {
      return "State[serving "
          + serving.getSubjectX500Principal().getName()
          + " until "
          + serving.getNotAfter().toInstant()
          + ", "
          + trusted.size()
          + " trusted CA(s)]";
    }
  }

  /**
   * A certificate and its key.
   *
   * @param certificate the certificate
   * @param key its private key
   */
  record Issued(X509Certificate certificate, PrivateKey key) {
    @Override
    public String toString() {
      return "Issued[" + certificate.getSubjectX500Principal().getName() + "]";
    }
  }

  /**
   * Reads the Secret data.
   *
   * @return the state, or empty when a key is missing or unreadable (then {@link #next} starts
   *     afresh); never throws with key material in a message
   */
  static Optional<State> parse(Map<String, byte[]> data) {
    if (data == null) {
      return Optional.empty();
    }
    try {
      List<X509Certificate> trusted = certificates(data.get(CA_BUNDLE));
      PrivateKey caKey = key(data.get(CA_KEY));
      List<X509Certificate> serving = certificates(data.get(TLS_CERT));
      PrivateKey servingKey = key(data.get(TLS_KEY));
      if (trusted.isEmpty() || serving.isEmpty() || !fits(servingKey, serving.get(0))) {
        return Optional.empty();
      }
      Optional<Issued> next = Optional.empty();
      if (data.containsKey(NEXT_CA_CERT) && data.containsKey(NEXT_CA_KEY)) {
        List<X509Certificate> n = certificates(data.get(NEXT_CA_CERT));
        PrivateKey nk = key(data.get(NEXT_CA_KEY));
        if (!n.isEmpty() && fits(nk, n.get(0))) {
          next = Optional.of(new Issued(n.get(0), nk));
        }
      }
      State state = new State(trusted, caKey, next, serving.get(0), servingKey);
      return state.signingCa().isPresent() ? Optional.of(state) : Optional.empty();
    } catch (GeneralSecurityException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * What the Secret should hold at {@code now}: {@code current} itself when nothing is due, else
   * the rotated state (or a fresh one when there is none).
   */
  static State next(Optional<State> current, Hosts hosts, Lifetimes life, Instant now) {
    if (current.isEmpty()) {
      Issued ca = newCa(life, now);
      Issued serving = newServing(ca, hosts, life, now);
      return new State(
          List.of(ca.certificate()),
          ca.key(),
          Optional.empty(),
          serving.certificate(),
          serving.key());
    }
    State s = current.get();
    X509Certificate signing = s.signingCa().orElseThrow();
    Duration caLeft = Duration.between(now, signing.getNotAfter().toInstant());
    List<X509Certificate> trusted = new ArrayList<>(s.trusted());
    trusted.removeIf(c -> !c.getNotAfter().toInstant().isAfter(now));
    PrivateKey caKey = s.caKey();
    Optional<Issued> next = s.next();
    boolean renewServing = false;
    if (caLeft.compareTo(life.ca().dividedBy(6)) < 0 && next.isPresent()) {
      // the successor has been trusted for a while: it signs from now on
      signing = next.get().certificate();
      caKey = next.get().key();
      next = Optional.empty();
      renewServing = true;
    } else if (caLeft.compareTo(life.ca().dividedBy(3)) < 0 && next.isEmpty()) {
      Issued successor = newCa(life, now);
      next = Optional.of(successor);
      trusted.add(0, successor.certificate());
    }
    if (!trusted.contains(signing)) {
      trusted.add(0, signing);
    }
    X509Certificate leaf = s.serving();
    Duration leafLeft = Duration.between(now, leaf.getNotAfter().toInstant());
    renewServing |=
        leafLeft.compareTo(life.serving().dividedBy(3)) < 0
            || !covers(leaf, hosts)
            || !signedBy(leaf, signing);
    if (!renewServing && trusted.equals(s.trusted()) && next.equals(s.next())) {
      return s;
    }
    PrivateKey servingKey = s.servingKey();
    if (renewServing) {
      Issued serving = newServing(new Issued(signing, caKey), hosts, life, now);
      leaf = serving.certificate();
      servingKey = serving.key();
    }
    return new State(List.copyOf(trusted), caKey, next, leaf, servingKey);
  }

  static Issued newCa(Lifetimes life, Instant now) {
    KeyPair pair = keyPair();
    X500Principal name =
        new X500Principal("CN=acr-credential webhook CA " + Long.toHexString(now.toEpochMilli()));
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              serial(),
              Date.from(now.minus(BACKDATE)),
              Date.from(now.plus(life.ca())),
              name,
              pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new Issued(sign(b, pair.getPrivate()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue the webhook CA: " + e.getClass().getName());
    }
  }

  static Issued newServing(Issued ca, Hosts hosts, Lifetimes life, Instant now) {
    KeyPair pair = keyPair();
    Instant notAfter = now.plus(life.serving());
    Instant caEnd = ca.certificate().getNotAfter().toInstant();
    if (notAfter.isAfter(caEnd)) {
      notAfter = caEnd;
    }
    String cn = hosts.dnsNames().isEmpty() ? hosts.ips().get(0) : hosts.dnsNames().get(0);
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              ca.certificate(),
              serial(),
              Date.from(now.minus(BACKDATE)),
              Date.from(notAfter),
              new X500Principal("CN=" + cn),
              pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      List<GeneralName> names = new ArrayList<>();
      hosts.dnsNames().forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
      hosts.ips().forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(new GeneralName[0])));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(ca.certificate().getPublicKey()));
      return new Issued(sign(b, ca.key()), pair.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "cannot issue the webhook serving certificate: " + e.getClass().getName());
    }
  }

  /** Whether the certificate names every host (DNS names case-insensitively, IPs by address). */
  static boolean covers(X509Certificate cert, Hosts hosts) {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return false;
      }
      for (List<?> san : sans) {
        int type = (Integer) san.get(0);
        if (type == 2) {
          dns.add(((String) san.get(1)).toLowerCase(java.util.Locale.ROOT));
        } else if (type == 7) {
          ips.add(InetAddress.getByName((String) san.get(1)));
        }
      }
      for (String d : hosts.dnsNames()) {
        if (!dns.contains(d.toLowerCase(java.util.Locale.ROOT))) {
          return false;
        }
      }
      for (String ip : hosts.ips()) {
        if (!ips.contains(InetAddress.getByName(ip))) {
          return false;
        }
      }
      return true;
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      return false;
    }
  }

  static boolean signedBy(X509Certificate cert, X509Certificate ca) {
    try {
      cert.verify(ca.getPublicKey());
      return cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Whether a signature made with the key verifies with the certificate's public key. */
  static boolean fits(PrivateKey key, X509Certificate cert) {
    try {
      byte[] probe = "acr-credential webhook key check".getBytes(StandardCharsets.US_ASCII);
      java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
      PublicKey pub = cert.getPublicKey();
      verifier.initVerify(pub);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Signs with the JDK's {@code SHA256withECDSA} through a small {@link ContentSigner} of our own:
   * Bouncy Castle's JCA signer builder needs its CMS classes, which the program jar leaves out.
   */
  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    java.security.Signature signature = java.security.Signature.getInstance("SHA256withECDSA");
    signature.initSign(key);
    java.io.ByteArrayOutputStream tbs = new java.io.ByteArrayOutputStream();
    ContentSigner signer =
        new ContentSigner() {
          @Override
          public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
          }

          @Override
          public java.io.OutputStream getOutputStream() {
            return tbs;
          }

          @Override
          public byte[] getSignature() {
            try {
              signature.update(tbs.toByteArray());
              return signature.sign();
            } catch (java.security.SignatureException e) {
              throw new IllegalStateException("cannot sign: " + e.getClass().getName());
            }
          }
        };
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator: " + e.getClass().getName());
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  static List<X509Certificate> certificates(byte[] pem) throws GeneralSecurityException {
    if (pem == null) {
      return List.of();
    }
    List<X509Certificate> out = new ArrayList<>();
    for (java.security.cert.Certificate c :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(pem))) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  private static PrivateKey key(byte[] pem) throws GeneralSecurityException {
    if (pem == null) {
      throw new GeneralSecurityException("no key");
    }
    String text = new String(pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new GeneralSecurityException("no PKCS#8 PEM block");
    }
    byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to).strip());
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  static String pem(List<X509Certificate> certs) {
    StringWriter w = new StringWriter();
    for (X509Certificate c : certs) {
      try {
        w.write(block("CERTIFICATE", c.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot encode a certificate");
      }
    }
    return w.toString();
  }

  private static String pemKey(PrivateKey key) {
    return block("PRIVATE KEY", key.getEncoded());
  }

  private static String block(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
