package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1OwnerReference;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Secrets count as written by Alibaba's helper; every rule, each broken on its own. */
class AlibabaSecretTest {

  private static final String DOMAIN = "registry.cn-hangzhou.aliyuncs.com";
  private static final String NAME = DockerConfig.secretName(DOMAIN);
  private static final DesiredSecret DESIRED =
      new DesiredSecret(NAME, new byte[] {'{', '}'}, List.of(DOMAIN), Instant.EPOCH);

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static V1Secret secret(String json) {
    return new V1Secret()
        .metadata(new V1ObjectMeta().name(NAME).namespace("ns").resourceVersion("1"))
        .type("kubernetes.io/dockerconfigjson")
        .data(Map.of(".dockerconfigjson", json.getBytes(StandardCharsets.UTF_8)));
  }

  private static String entry(String fields) {
    return "{\"auths\":{\"" + DOMAIN + "\":{" + fields + "}}}";
  }

  private static final String LOGIN =
      entry(
          "\"username\":\"cr_temp_user\",\"password\":\"tok\",\"auth\":\""
              + b64("cr_temp_user:tok")
              + "\"");

  @Test
  void alibabasShapesAreTakenOver() {
    assertThat(AlibabaSecret.whyNot(secret(LOGIN), DESIRED)).isNull();
    assertThat(
            AlibabaSecret.whyNot(
                secret(entry("\"username\":\"cr_temp_user\",\"password\":\"tok\"")), DESIRED))
        .isNull();
    assertThat(
            AlibabaSecret.whyNot(
                secret(entry("\"auth\":\"" + b64("cr_temp_user:t:k") + "\"")), DESIRED))
        .as("auth alone; a colon in the password")
        .isNull();
    assertThat(
            AlibabaSecret.whyNot(
                secret(entry("\"username\":\"cr_temp_user\",\"password\":\"t\",\"email\":\"\"")),
                DESIRED))
        .isNull();
    assertThat(AlibabaSecret.whyNot(secret(LOGIN.replace(DOMAIN, DOMAIN.toUpperCase())), DESIRED))
        .as("host names are case-insensitive")
        .isNull();
  }

  @Test
  void thePublicQueryIsTheSyncsRule() {
    assertThat(AlibabaSecret.whyNotTakenOver(secret(LOGIN), NAME, List.of(DOMAIN))).isEmpty();
    assertThat(AlibabaSecret.whyNotTakenOver(secret(LOGIN).type("Opaque"), NAME, List.of(DOMAIN)))
        .hasValueSatisfying(w -> assertThat(w).contains("type"));
    assertThat(
            AlibabaSecret.whyNotTakenOver(
                secret(LOGIN), "acr-credentials", List.of(DOMAIN, "other.example")))
        .hasValueSatisfying(w -> assertThat(w).contains("per-domain"));
  }

  @Test
  void everythingElseSaysWhy() {
    assertThat(AlibabaSecret.whyNot(secret(LOGIN).type("Opaque"), DESIRED)).contains("type");
    assertThat(AlibabaSecret.whyNot(secret(LOGIN).immutable(true), DESIRED)).contains("immutable");
    V1Secret owned = secret(LOGIN);
    owned.getMetadata().setOwnerReferences(List.of(new V1OwnerReference().name("x")));
    assertThat(AlibabaSecret.whyNot(owned, DESIRED)).contains("owns it");
    V1Secret deleting = secret(LOGIN);
    deleting.getMetadata().setDeletionTimestamp(OffsetDateTime.now());
    assertThat(AlibabaSecret.whyNot(deleting, DESIRED)).contains("deleted");
    V1Secret annotated = secret(LOGIN);
    annotated.getMetadata().setAnnotations(Map.of("acr-credential.io/expires-at", "x"));
    assertThat(AlibabaSecret.whyNot(annotated, DESIRED)).contains("another instance");
    assertThat(AlibabaSecret.whyNot(secret("{not json"), DESIRED)).contains("not valid JSON");
    assertThat(AlibabaSecret.whyNot(secret("[1]"), DESIRED)).contains("not a JSON object");
    assertThat(AlibabaSecret.whyNot(secret("[".repeat(60_000)), DESIRED))
        .contains("not valid JSON");
    assertThat(AlibabaSecret.whyNot(secret("{\"auths\":{}}"), DESIRED)).contains("0 registries");
    assertThat(AlibabaSecret.whyNot(secret("{\"credsStore\":\"x\"}"), DESIRED))
        .contains("not a Docker config");
    assertThat(
            AlibabaSecret.whyNot(
                secret(LOGIN.substring(0, LOGIN.length() - 1) + ",\"credsStore\":\"x\"}"), DESIRED))
        .contains("more than an auths object");
    assertThat(AlibabaSecret.whyNot(secret(LOGIN.replace(DOMAIN, "evil.example.com")), DESIRED))
        .contains("another registry");
    assertThat(
            AlibabaSecret.whyNot(
                secret(
                    entry(
                        "\"username\":\"cr_temp_user\",\"password\":\"t\",\"identitytoken\":\"x\"")),
                DESIRED))
        .contains("fields Alibaba's helper does not write");
    assertThat(
            AlibabaSecret.whyNot(
                secret(entry("\"username\":\"cr_temp_user\",\"password\":1")), DESIRED))
        .contains("not a string");
    assertThat(AlibabaSecret.whyNot(secret(entry("\"auth\":\"%%%\"")), DESIRED))
        .contains("not base64");
    assertThat(AlibabaSecret.whyNot(secret(entry("\"auth\":\"" + b64("nocolon") + "\"")), DESIRED))
        .contains("not user:password");
    assertThat(
            AlibabaSecret.whyNot(
                secret(
                    entry(
                        "\"username\":\"cr_temp_user\",\"password\":\"a\",\"auth\":\""
                            + b64("cr_temp_user:b")
                            + "\"")),
                DESIRED))
        .contains("disagrees");
    assertThat(AlibabaSecret.whyNot(secret(entry("\"username\":\"cr_temp_user\"")), DESIRED))
        .contains("no user name and password");
    assertThat(
            AlibabaSecret.whyNot(
                secret(entry("\"username\":\"me@123\",\"password\":\"mine\"")), DESIRED))
        .contains("user's own");
    assertThat(
            AlibabaSecret.whyNot(
                secret(LOGIN.replace("\"tok\"", "\"" + "x".repeat(70_000) + "\"")), DESIRED))
        .contains("larger than a single login");
    V1Secret twoKeys = secret(LOGIN);
    twoKeys.setData(
        Map.of(
            ".dockerconfigjson", LOGIN.getBytes(StandardCharsets.UTF_8), "extra", new byte[] {1}));
    assertThat(AlibabaSecret.whyNot(twoKeys, DESIRED)).contains("exactly one");
    DesiredSecret combined =
        new DesiredSecret("acr-credentials", new byte[] {'{', '}'}, List.of(DOMAIN), Instant.EPOCH);
    assertThat(AlibabaSecret.whyNot(secret(LOGIN), combined)).contains("combined");
  }

  @Test
  void theVerdictNeverQuotesTheContent() {
    String verdict =
        AlibabaSecret.whyNot(
            secret(entry("\"username\":\"me-secret-user\",\"password\":\"hunter2\"")), DESIRED);
    assertThat(verdict).doesNotContain("hunter2").doesNotContain("me-secret-user");
  }
}
