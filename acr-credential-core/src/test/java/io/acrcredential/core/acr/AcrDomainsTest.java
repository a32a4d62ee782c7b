package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryEdition;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcrDomainsTest {

  @Test
  void personalDefaultIsThePublicAndTheVpcDomain() {
    assertThat(AcrDomains.personalDefault("cn-hangzhou"))
        .containsExactly(
            "registry.cn-hangzhou.aliyuncs.com", "registry-vpc.cn-hangzhou.aliyuncs.com");
  }

  @Test
  void personalAllListsTheFiveClassicDomains() {
    assertThat(AcrDomains.personalAll(" AP-Southeast-1 "))
        .containsExactly(
            "registry.ap-southeast-1.aliyuncs.com",
            "registry-vpc.ap-southeast-1.aliyuncs.com",
            "registry-internal.ap-southeast-1.aliyuncs.com",
            "registry-intl.ap-southeast-1.aliyuncs.com",
            "registry-intl-vpc.ap-southeast-1.aliyuncs.com");
  }

  @Test
  void personalInstanceDomainsCarryTheCrpiId() {
    assertThat(AcrDomains.personalInstance("crpi-abc123", "cn-shanghai"))
        .containsExactly(
            "crpi-abc123.cn-shanghai.personal.cr.aliyuncs.com",
            "crpi-abc123-vpc.cn-shanghai.personal.cr.aliyuncs.com");
  }

  @Test
  void enterpriseDomainsCarryTheInstanceName() {
    assertThat(AcrDomains.enterprise("My-Team-Registry", "cn-beijing"))
        .containsExactly(
            "my-team-registry-registry.cn-beijing.cr.aliyuncs.com",
            "my-team-registry-registry-vpc.cn-beijing.cr.aliyuncs.com");
  }

  @Test
  void everyDerivedDomainParsesBackToItsRegistry() {
    for (String region : AcrRegions.known()) {
      for (String domain : AcrDomains.personalAll(region)) {
        AcrHost host = AcrHost.parse(domain).orElseThrow();
        assertThat(host.edition()).isEqualTo(RegistryEdition.PERSONAL);
        assertThat(host.regionId()).isEqualTo(region);
      }
      List<String> ee = AcrDomains.enterprise("prod-1", region);
      assertThat(ee)
          .allSatisfy(
              d -> assertThat(AcrHost.parse(d).orElseThrow().instanceName()).contains("prod-1"));
      assertThat(AcrDomains.personalInstance("crpi-z9", region))
          .allSatisfy(
              d ->
                  assertThat(AcrHost.parse(d).orElseThrow().personalInstanceId())
                      .contains("crpi-z9"));
    }
  }

  @Test
  void acceptsRegionsNotYetKnownButRejectsMalformedOnes() {
    assertThat(AcrDomains.personalDefault("na-south-1"))
        .containsExactly(
            "registry.na-south-1.aliyuncs.com", "registry-vpc.na-south-1.aliyuncs.com");
    assertThatThrownBy(() -> AcrDomains.personalDefault("hangzhou"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid region id 'hangzhou'");
  }

  @Test
  void rejectsBadInstanceNamesAndIds() {
    assertThatThrownBy(() -> AcrDomains.enterprise("bad_name", "cn-hangzhou"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid instance name 'bad_name'");
    assertThatThrownBy(() -> AcrDomains.enterprise(" ", "cn-hangzhou"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("instance name is missing");
    assertThatThrownBy(() -> AcrDomains.personalInstance("cri-abc", "cn-hangzhou"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected crpi-");
    assertThatThrownBy(() -> AcrDomains.personalInstance(null, "cn-hangzhou"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }
}
