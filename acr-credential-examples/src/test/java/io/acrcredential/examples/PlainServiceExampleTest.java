package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PlainServiceExampleTest {

  @Test
  void turnsACachedTokenIntoADockerConfig() {
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
      cloud.identities().addAccessKey("LTAI5tPlainExample01", "plainExampleSecret0123456");
      cloud.acr().addInstance(AcrInstance.of("cri-plain001", "plain", "cn-hangzhou"));
      cloud.acr().useFixedToken("cr_temp_user", "plain-password-42");
      try (AcrTokenProvider acr =
              AcrTokenProvider.builder()
                  .credentials(
                      AlibabaCredentials.accessKey(
                          "LTAI5tPlainExample01", "plainExampleSecret0123456"))
                  .endpoint("http://" + cloud.acr().endpoint())
                  .build();
          PlainServiceExample service = new PlainServiceExample(acr)) {
        RegistryTarget target = RegistryTarget.enterprise("cn-hangzhou", "cri-plain001");
        byte[] first = service.dockerConfig(target);
        byte[] second = service.dockerConfig(target);

        DockerConfig config = DockerConfig.decode(first);
        assertThat(new String(first, StandardCharsets.UTF_8))
            .contains("plain-registry.cn-hangzhou.cr.aliyuncs.com")
            .contains("plain-password-42");
        assertThat(config.toString()).doesNotContain("plain-password-42");
        assertThat(second).isEqualTo(first);
        assertThat(cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN))
            .as("the second call is served from the cache")
            .isEqualTo(1);
      }
    }
  }

  @Test
  void reportsWhyNoTokenCouldBeHad() {
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
      cloud.identities().addAccessKey("LTAI5tPlainExample02", "plainExampleSecret0123456");
      cloud.acr().addInstance(AcrInstance.of("cri-plain002", "plain", "cn-hangzhou"));
      cloud.acr().failAlways(FakeApi.GET_AUTHORIZATION_TOKEN, Failure.error("NoPermission"));
      try (AcrTokenProvider acr =
              AcrTokenProvider.builder()
                  .credentials(
                      AlibabaCredentials.accessKey(
                          "LTAI5tPlainExample02", "plainExampleSecret0123456"))
                  .endpoint("http://" + cloud.acr().endpoint())
                  .build();
          PlainServiceExample service = new PlainServiceExample(acr)) {
        assertThatThrownBy(
                () ->
                    service.dockerConfig(RegistryTarget.enterprise("cn-hangzhou", "cri-plain002")))
            .isInstanceOf(TokenException.class)
            .hasMessageContaining("cr:GetAuthorizationToken")
            .hasMessageNotContaining("plainExampleSecret0123456");
      }
    }
  }
}
