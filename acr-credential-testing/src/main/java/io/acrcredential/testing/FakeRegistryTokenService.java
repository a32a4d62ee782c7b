package io.acrcredential.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The token service of a registry that behaves like ACR's ({@code dockerauth}): the registry (e.g.
 * Debian's {@code docker-registry} with {@code auth: token}) sends unauthenticated clients here
 * ({@code realm}); this service answers a Docker token request ({@code GET /auth?service=..&scope=
 * repository:<name>:pull}) only for HTTP Basic credentials that the {@link FakeAcr} issued, that
 * have not expired or been revoked ({@link FakeAcr#validLogin}), and that belong to this registry's
 * instance. The answer is a JWT signed with the given key, whose certificate rides in the {@code
 * x5c} header for the registry to check against its {@code rootcertbundle}. The JWT expires with
 * the login (at most five minutes), so expiry is real end to end.
 *
 * <p>Plain HTTP on a loopback address. Passwords are never logged; {@link #toString()} shows the
 * endpoint only.
 */
public final class FakeRegistryTokenService implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration MAX_TOKEN_LIFE = Duration.ofMinutes(5);
  private static final Pattern SCOPE =
      Pattern.compile("repository:([a-z0-9._/-]{1,255}):([a-z*,]{1,64})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final FakeAcr acr;
  private final String service;
  private final String instanceId;
  private final PrivateKey key;
  private final String x5c;
  private final Clock clock;
  private final HttpServer server;
  private final AtomicInteger granted = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  private FakeRegistryTokenService(
      FakeAcr acr,
      String service,
      String instanceId,
      PrivateKey key,
      String x5c,
      Clock clock,
      HttpServer server) {
    this.acr = acr;
    this.service = service;
    this.instanceId = instanceId;
    this.key = key;
    this.x5c = x5c;
    this.clock = clock;
    this.server = server;
  }

  /**
   * Starts the service on {@code address} (a loopback address) and a free port.
   *
   * @param acr the fake whose issued logins are accepted
   * @param service the registry's service name ({@code aud} of the tokens), e.g. its host name
   * @param instanceId the Enterprise Edition instance this registry belongs to, or null for a
   *     Personal Edition registry: logins issued for another instance are refused
   * @param signingCertificatePem the certificate (PEM) of the signing key, trusted by the registry
   * @param signingKeyPem the EC P-256 signing key, PKCS#8 PEM ({@code BEGIN PRIVATE KEY})
   * @param address the loopback address to listen on
   * @return the running service; close it when done
   */
  public static FakeRegistryTokenService start(
      FakeAcr acr,
      String service,
      String instanceId,
      String signingCertificatePem,
      String signingKeyPem,
      InetAddress address) {
    Objects.requireNonNull(acr, "acr");
    Objects.requireNonNull(service, "service");
    if (!address.isLoopbackAddress()) {
      throw new IllegalArgumentException(address + " is not a loopback address");
    }
    try {
      X509Certificate certificate =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(
                      new ByteArrayInputStream(
                          signingCertificatePem.getBytes(StandardCharsets.US_ASCII)));
      PrivateKey key =
          KeyFactory.getInstance("EC")
              .generatePrivate(new PKCS8EncodedKeySpec(pemBody(signingKeyPem, "PRIVATE KEY")));
      HttpServer server = HttpServer.create(new InetSocketAddress(address, 0), 0);
      FakeRegistryTokenService service1 =
          new FakeRegistryTokenService(
              acr,
              service,
              instanceId,
              key,
              Base64.getEncoder().encodeToString(certificate.getEncoded()),
              Clock.systemUTC(),
              server);
      server.createContext("/auth", service1::handle);
      server.start();
      return service1;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("unusable signing certificate or key", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the registry token service", e);
    }
  }

  /**
   * The realm URL a registry names in its challenge, {@code http://<address>:<port>/auth}.
   *
   * @return the realm
   */
  public URI realm() {
    InetSocketAddress bound = server.getAddress();
    return URI.create(
        "http://" + bound.getAddress().getHostAddress() + ":" + bound.getPort() + "/auth");
  }

  /**
   * The issuer ({@code iss}) of the tokens; configure the registry with it.
   *
   * @return the issuer
   */
  public String issuer() {
    return "acr-credential-fake-dockerauth";
  }

  /**
   * How many token requests were answered with a token.
   *
   * @return the count
   */
  public int grantedCount() {
    return granted.get();
  }

  /**
   * How many token requests were refused (no, unknown, expired, revoked or foreign login).
   *
   * @return the count
   */
  public int refusedCount() {
    return refused.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  @Override
  public String toString() {
    return "FakeRegistryTokenService[" + realm() + ", service=" + service + "]";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "{\"errors\":[{\"code\":\"UNSUPPORTED\"}]}");
        return;
      }
      Map<String, List<String>> query = query(exchange.getRequestURI().getRawQuery());
      Optional<IssuedToken> login = login(exchange.getRequestHeaders().getFirst("Authorization"));
      if (login.isEmpty()
          || !Objects.equals(login.get().instanceId(), instanceId)
          || !service.equals(first(query, "service"))) {
        refused.incrementAndGet();
        reply(
            exchange,
            401,
            "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
        return;
      }
      ArrayNode access = JSON.createArrayNode();
      for (String scope : query.getOrDefault("scope", List.of())) {
        var matcher = SCOPE.matcher(scope);
        if (matcher.matches()) {
          ObjectNode entry = access.addObject();
          entry.put("type", "repository");
          entry.put("name", matcher.group(1));
          ArrayNode actions = entry.putArray("actions");
          for (String action : matcher.group(2).split(",")) {
            if (action.equals("pull") || action.equals("push")) {
              actions.add(action);
            }
          }
        }
      }
      Instant now = clock.instant();
      Instant expires = login.get().expiresAt();
      if (expires.isAfter(now.plus(MAX_TOKEN_LIFE))) {
        expires = now.plus(MAX_TOKEN_LIFE);
      }
      String token = jwt(login.get().username(), access, now, expires);
      granted.incrementAndGet();
      ObjectNode body = JSON.createObjectNode();
      body.put("token", token);
      body.put("access_token", token);
      body.put("expires_in", Math.max(1, Duration.between(now, expires).toSeconds()));
      body.put("issued_at", now.toString());
      reply(exchange, 200, JSON.writeValueAsString(body));
    }
  }

  private Optional<IssuedToken> login(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(authorization.substring(6).trim()),
              StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    return acr.validLogin(decoded.substring(0, colon), decoded.substring(colon + 1));
  }

  private String jwt(String subject, ArrayNode access, Instant now, Instant expires) {
    ObjectNode header = JSON.createObjectNode();
    header.put("typ", "JWT");
    header.put("alg", "ES256");
    header.putArray("x5c").add(x5c);
    ObjectNode claims = JSON.createObjectNode();
    claims.put("iss", issuer());
    claims.put("sub", subject);
    claims.put("aud", service);
    claims.put("exp", expires.getEpochSecond());
    claims.put("nbf", now.getEpochSecond() - 5);
    claims.put("iat", now.getEpochSecond());
    byte[] jti = new byte[12];
    RANDOM.nextBytes(jti);
    claims.put("jti", HexFormat.of().formatHex(jti));
    claims.set("access", access);
    try {
      String signingInput =
          base64Url(JSON.writeValueAsBytes(header))
              + "."
              + base64Url(JSON.writeValueAsBytes(claims));
      // JWS ES256 wants the raw r||s form, which is what the P1363 variant produces.
      Signature signature = Signature.getInstance("SHA256withECDSAinP1363Format");
      signature.initSign(key);
      signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + base64Url(signature.sign());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a registry token", e);
    }
  }

  private static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static Map<String, List<String>> query(String raw) {
    Map<String, List<String>> params = new java.util.LinkedHashMap<>();
    if (raw == null || raw.length() > 8192) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name =
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  private static String first(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static void reply(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static byte[] pemBody(String pem, String type) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("expected a PEM block of type " + type);
    }
    return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
  }
}
