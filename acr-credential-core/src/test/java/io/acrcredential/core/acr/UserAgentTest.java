package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeClock;
import io.acrcredential.testing.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every outbound call names this project and the build's real version in its User-Agent. */
class UserAgentTest {

  /** The version in this module's POM (its parent's), as the build filters it into the resource. */
  static String pomVersion() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m =
        Pattern.compile(
                "<artifactId>acr-credential-parent</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(pom);
    assertThat(m.find()).as("parent version in pom.xml").isTrue();
    return m.group(1);
  }

  @Test
  void theVersionIsTheBuildsNotAPlaceholder() throws Exception {
    assertThat(UserAgent.VERSION).isEqualTo(pomVersion()).doesNotContain("${");
    assertThat(UserAgent.VALUE).isEqualTo("acr-credential/" + pomVersion());
  }

  @Test
  void appendedToTheSdksAgentAndSetWhereThereIsNone() {
    assertThat(UserAgent.value(null)).isEqualTo(UserAgent.VALUE);
    assertThat(UserAgent.value("AlibabaCloud (Linux) Java/17 Core/4.7.10"))
        .isEqualTo("AlibabaCloud (Linux) Java/17 Core/4.7.10 " + UserAgent.VALUE);
    assertThat(UserAgent.value("x " + UserAgent.VALUE)).isEqualTo("x " + UserAgent.VALUE);
  }

  @Test
  void acrStsAndMetadataCallsCarryIt() throws Exception {
    String role = "acs:ram::1234567890123456:role/acr-puller";
    String assumed = "acs:ram::1234567890123456:role/cross-account";
    FakeClock clock = FakeClock.atSystemTime();
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start(clock)) {
      cloud.acr().addInstance(AcrInstance.of("cri-ua0001", "ua", "cn-hangzhou"));
      cloud.metadata().attachRole("worker-role", role).requireImdsV2(true);
      cloud.identities().addRole(assumed, role);
      try (AcrTokenProvider p =
          AcrTokenProvider.builder()
              .credentials(AlibabaCredentials.ecsRamRole("worker-role").assumeRole(assumed))
              .endpoint("http://" + cloud.acr().endpoint())
              .stsEndpoint("http://" + cloud.sts().endpoint())
              .metadataEndpoint("http://" + cloud.metadata().endpoint())
              .readTimeout(Duration.ofSeconds(3))
              .build()) {
        p.fetch(RegistryTarget.personal("cn-hangzhou"));
        p.fetch(RegistryTarget.enterprise("cn-hangzhou", "cri-ua0001"));
      }
      List<RecordedRequest> calls = new ArrayList<>();
      calls.addAll(cloud.metadata().requests(FakeApi.METADATA_TOKEN));
      calls.addAll(cloud.metadata().requests(FakeApi.METADATA_CREDENTIALS));
      calls.addAll(cloud.sts().requests(FakeApi.ASSUME_ROLE));
      calls.addAll(cloud.acr().requests(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN));
      calls.addAll(cloud.acr().requests(FakeApi.GET_AUTHORIZATION_TOKEN));
      assertThat(calls)
          .extracting(RecordedRequest::api)
          .contains(FakeApi.METADATA_TOKEN, FakeApi.ASSUME_ROLE, FakeApi.GET_AUTHORIZATION_TOKEN);
      assertThat(calls).hasSizeGreaterThanOrEqualTo(5);
      String expected = "acr-credential/" + pomVersion();
      for (RecordedRequest r : calls) {
        assertThat(r.header("User-Agent")).as(r.api().toString()).endsWith(expected);
      }
      assertThat(cloud.sts().lastRequest(FakeApi.ASSUME_ROLE).orElseThrow().header("User-Agent"))
          .as("the SDK's own agent stays in front")
          .startsWith("AlibabaCloud");
      assertThat(
              cloud
                  .metadata()
                  .lastRequest(FakeApi.METADATA_TOKEN)
                  .orElseThrow()
                  .header("User-Agent"))
          .as("a plain call: ours instead of okhttp's")
          .isEqualTo(expected);
    }
  }
}
