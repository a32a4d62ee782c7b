package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry token service grants a signed JWT exactly for logins the fake ACR issued for its
 * registry, and refuses anonymous, foreign, revoked and expired ones.
 */
class FakeRegistryTokenServiceTest {

  static final String SERVICE = "ee-registry.cn-hangzhou.cr.aliyuncs.com";
  static final String INSTANCE = "cri-tokensvc01";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  FakeClock clock;
  FakeAcr acr;
  FakeRegistryTokenService service;
  X509Certificate certificate;
  HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    // An EC P-256 key and self-signed certificate, made by the JDK's keytool.
    Path store = tmp.resolve("signer.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-sigalg",
                "SHA256withECDSA",
                "-dname",
                "CN=token-signer",
                "-alias",
                "signer",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit",
                "-validity",
                "2")
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor()).as(output).isZero();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(store)) {
      keys.load(in, "changeit".toCharArray());
    }
    PrivateKey key = (PrivateKey) keys.getKey("signer", "changeit".toCharArray());
    certificate = (X509Certificate) keys.getCertificate("signer");

    clock = FakeClock.atSystemTime();
    acr = FakeAcr.start(new FakeIdentities(), clock);
    service =
        FakeRegistryTokenService.start(
            acr,
            SERVICE,
            INSTANCE,
            pem("CERTIFICATE", certificate.getEncoded()),
            pem("PRIVATE KEY", key.getEncoded()),
            InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void stop() {
    service.close();
    acr.close();
  }

  @Test
  void grantsASignedPullTokenForAnIssuedLoginOfItsInstance() throws Exception {
    IssuedToken login = acr.issueLogin("tester", INSTANCE);
    HttpResponse<String> response = token(login.username(), login.password(), SERVICE);

    assertThat(response.statusCode()).isEqualTo(200);
    String jwt = JSON.readTree(response.body()).get("token").asText();
    String[] parts = jwt.split("\\.");
    assertThat(parts).hasSize(3);
    JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    assertThat(header.get("alg").asText()).isEqualTo("ES256");
    X509Certificate inHeader =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(
                        Base64.getDecoder().decode(header.get("x5c").get(0).asText())));
    assertThat(inHeader).isEqualTo(certificate);
    Signature verify = Signature.getInstance("SHA256withECDSAinP1363Format");
    verify.initVerify(certificate.getPublicKey());
    verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(verify.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
    assertThat(claims.get("aud").asText()).isEqualTo(SERVICE);
    assertThat(claims.get("iss").asText()).isEqualTo(service.issuer());
    assertThat(claims.get("access").get(0).get("name").asText()).isEqualTo("team/app");
    assertThat(claims.get("access").get(0).get("actions").get(0).asText()).isEqualTo("pull");
    assertThat(claims.get("exp").asLong() - claims.get("iat").asLong()).isBetween(1L, 300L);
    assertThat(response.body()).doesNotContain(login.password());
    assertThat(service.grantedCount()).isEqualTo(1);
  }

  @Test
  void refusesAnonymousForeignRevokedAndExpiredLogins() throws Exception {
    assertThat(http.send(request(null), HttpResponse.BodyHandlers.ofString()).statusCode())
        .as("anonymous")
        .isEqualTo(401);

    IssuedToken personal = acr.issueLogin("tester", null);
    assertThat(token(personal.username(), personal.password(), SERVICE).statusCode())
        .as("a Personal Edition login on an Enterprise registry")
        .isEqualTo(401);

    IssuedToken good = acr.issueLogin("tester", INSTANCE);
    assertThat(token(good.username(), good.password() + "x", SERVICE).statusCode())
        .as("a wrong password")
        .isEqualTo(401);
    assertThat(token(good.username(), good.password(), "other.example.com").statusCode())
        .as("another service")
        .isEqualTo(401);

    acr.setTokenLifetime(Duration.ofSeconds(60));
    IssuedToken shortLived = acr.issueLogin("tester", INSTANCE);
    assertThat(token(shortLived.username(), shortLived.password(), SERVICE).statusCode())
        .isEqualTo(200);
    clock.advance(Duration.ofSeconds(61));
    assertThat(token(shortLived.username(), shortLived.password(), SERVICE).statusCode())
        .as("expired")
        .isEqualTo(401);

    acr.setTokenLifetime(Duration.ofHours(1));
    IssuedToken revoked = acr.issueLogin("tester", INSTANCE);
    assertThat(token(revoked.username(), revoked.password(), SERVICE).statusCode()).isEqualTo(200);
    acr.revokeIssuedTokens();
    assertThat(token(revoked.username(), revoked.password(), SERVICE).statusCode())
        .as("revoked")
        .isEqualTo(401);
    assertThat(service.refusedCount()).isEqualTo(6);
  }

  private HttpResponse<String> token(String user, String password, String serviceName)
      throws Exception {
    String basic =
        Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return http.send(request("Basic " + basic, serviceName), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String authorization) {
    return request(authorization, SERVICE);
  }

  private HttpRequest request(String authorization, String serviceName) {
    URI uri =
        URI.create(service.realm() + "?service=" + serviceName + "&scope=repository:team/app:pull");
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri).GET();
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return builder.build();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
