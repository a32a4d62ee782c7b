package io.acrcredential.k8s.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.NamedInstanceRegistry;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.IssuedToken;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing, caching and configuration switches against a fake ACR and STS on loopback. */
class RegistryTokenProvidersTest {

  static final String REGION = "cn-hangzhou";
  static final String AK1 = "LTAI5tIdentityTest01";
  static final String SK1 = "identityTestSecret01abcdef";
  static final String AK2 = "LTAI5tIdentityTest02";
  static final String SK2 = "identityTestSecret02abcdef";
  static final RegistryTarget PERSONAL = RegistryTarget.personal(REGION);
  static final RegistryTarget ENTERPRISE = RegistryTarget.enterprise(REGION, "cri-ident01");

  FakeAlibabaCloud cloud;
  RegistryTokenProviders providers;
  final List<String> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(AK1, SK1).addAccessKey(AK2, SK2);
    cloud.acr().addInstance(AcrInstance.of("cri-ident01", "myteam", REGION));
    providers =
        RegistryTokenProviders.builder()
            .acrEndpoint("http://" + cloud.acr().endpoint())
            .stsEndpoint("http://" + cloud.sts().endpoint())
            .metadataEndpoint("http://" + cloud.metadata().endpoint())
            .environment(Map.of("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"))
            .listener(
                new RegistryTokenProviders.Listener() {
                  @Override
                  public void tokenFetched(RegistryTarget target) {
                    events.add("fetched " + target.describe());
                  }

                  @Override
                  public void tokenFailed(RegistryTarget target, RuntimeException failure) {
                    events.add("failed " + target.describe());
                  }

                  @Override
                  public void credentialDropped(RegistryTarget target) {
                    events.add("dropped " + target.describe());
                  }
                })
            .build();
  }

  @AfterEach
  void stop() {
    providers.close();
    cloud.close();
  }

  static AcrConfiguration config(RegistryEntry... entries) {
    AcrConfiguration.Builder b = AcrConfiguration.builder();
    for (RegistryEntry e : entries) {
      b.addRegistry(e);
    }
    return b.build();
  }

  List<String> principals() {
    return cloud.acr().issuedTokens().stream().map(IssuedToken::principal).toList();
  }

  @Test
  void eachRegistryAsksWithItsOwnIdentityAndIsServedFromTheCacheAfterwards() {
    RegistryTokenProviders.Applied applied =
        providers.apply(
            config(
                RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1)),
                RegistryEntry.of(ENTERPRISE, IdentitySpec.accessKey(AK2, SK2))));

    assertThat(applied.problems()).isEmpty();
    assertThat(providers.targets()).containsExactly(PERSONAL, ENTERPRISE);
    RegistryCredential personal = providers.fetch(PERSONAL);
    providers.fetch(ENTERPRISE);
    assertThat(providers.fetch(PERSONAL)).isEqualTo(personal);
    assertThat(principals()).containsExactly(AK1, AK2);
    assertThat(events)
        .containsExactly("fetched " + PERSONAL.describe(), "fetched " + ENTERPRISE.describe());
  }

  @Test
  void aRegistryWhoseIdentityChangedLosesItsCachedCredential() {
    providers.apply(config(RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1))));
    providers.fetch(PERSONAL);

    providers.apply(config(RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK2, SK2))));
    providers.fetch(PERSONAL);

    assertThat(principals()).containsExactly(AK1, AK2);
    assertThat(events).contains("dropped " + PERSONAL.describe());
  }

  @Test
  void anUnchangedRegistryKeepsItsCredentialAcrossVersions() {
    RegistryEntry entry = RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1));
    providers.apply(config(entry));
    RegistryCredential first = providers.fetch(PERSONAL);

    providers.apply(config(entry, RegistryEntry.of(ENTERPRISE, IdentitySpec.accessKey(AK2, SK2))));

    assertThat(providers.fetch(PERSONAL)).isEqualTo(first);
    assertThat(principals()).containsExactly(AK1);
    assertThat(events).noneMatch(e -> e.startsWith("dropped"));
  }

  @Test
  void aRegistryThatLeftTheConfigurationIsNoLongerServed() {
    providers.apply(
        config(
            RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1)),
            RegistryEntry.of(ENTERPRISE, IdentitySpec.accessKey(AK2, SK2))));
    providers.fetch(ENTERPRISE);

    providers.apply(
        AcrConfiguration.builder()
            .addRegistry(RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1)))
            .expiringThreshold(Duration.ofMinutes(20))
            .build());

    assertThat(providers.targets()).containsExactly(PERSONAL);
    assertThat(events).contains("dropped " + ENTERPRISE.describe());
    assertThatThrownBy(() -> providers.fetch(ENTERPRISE))
        .isInstanceOfSatisfying(
            TokenException.class,
            e -> assertThat(e.reason()).isEqualTo(TokenException.Reason.INVALID_CONFIGURATION))
        .hasMessageContaining("not in the configuration");
  }

  @Test
  void nothingIsServedBeforeTheFirstConfiguration() {
    assertThatThrownBy(() -> providers.fetch(PERSONAL))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("no configuration applied yet");
  }

  @Test
  void anInstanceKnownByNameIsLookedUpAndAnUnknownOneIsAProblem() {
    AcrConfiguration config =
        AcrConfiguration.builder()
            .addRegistryByInstanceName(
                new NamedInstanceRegistry(
                    REGION,
                    "myteam",
                    List.of("myteam-registry.cn-hangzhou.cr.aliyuncs.com"),
                    IdentitySpec.accessKey(AK1, SK1),
                    "acr-registry"))
            .addRegistryByInstanceName(
                new NamedInstanceRegistry(
                    REGION,
                    "nosuch",
                    List.of("nosuch-registry.cn-hangzhou.cr.aliyuncs.com"),
                    IdentitySpec.accessKey(AK1, SK1),
                    "acr-registry"))
            .build();

    RegistryTokenProviders.Applied applied = providers.apply(config);

    assertThat(applied.configuration().registriesByInstanceName()).isEmpty();
    assertThat(applied.configuration().registries())
        .extracting(e -> e.target().instanceId().orElseThrow())
        .containsExactly("cri-ident01");
    assertThat(applied.problems())
        .singleElement()
        .asString()
        .startsWith("acr-registry: cannot find Enterprise Edition instance 'nosuch' in cn-hangzhou")
        .doesNotContain(SK1);
    assertThat(providers.fetch(applied.configuration().registries().get(0).target()).password())
        .isNotEmpty();
  }

  @Test
  void aRegistryConfiguredTwiceKeepsItsFirstIdentity() {
    RegistryTokenProviders.Applied applied =
        providers.apply(
            config(
                RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1)),
                RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK2, SK2))));

    assertThat(applied.problems())
        .singleElement()
        .asString()
        .contains("configured twice with different identities");
    providers.fetch(PERSONAL);
    assertThat(principals()).containsExactly(AK1);
  }

  @Test
  void rrsaWithoutItsArnsLeavesTheRegistryOutWithAProblem() {
    RegistryTokenProviders.Applied applied =
        providers.apply(config(RegistryEntry.of(PERSONAL, IdentitySpec.rrsaFromEnvironment())));

    assertThat(applied.problems())
        .singleElement()
        .asString()
        .contains("RRSA is enabled but the role ARN or OIDC provider ARN is missing");
    assertThat(applied.configuration().registries()).isEmpty();
    assertThat(providers.targets()).isEmpty();
  }

  @Test
  void aFailedFetchIsReportedToTheListener() {
    providers.apply(
        config(RegistryEntry.of(PERSONAL, IdentitySpec.accessKey("LTAI5tUnknown000", "nope0000"))));

    assertThatThrownBy(() -> providers.fetch(PERSONAL)).isInstanceOf(TokenException.class);
    assertThat(events).containsExactly("failed " + PERSONAL.describe());
  }

  @Test
  void aSubscriberHearsOfChangesAcrossACacheRebuiltForANewThreshold() {
    List<RegistryTarget> heard = new CopyOnWriteArrayList<>();
    CacheListener subscriber = CacheListener.onChange(c -> heard.add(c.target()));
    providers.addListener(subscriber);
    providers.apply(config(RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1))));
    providers.fetch(PERSONAL);

    providers.apply(
        AcrConfiguration.builder()
            .addRegistry(RegistryEntry.of(PERSONAL, IdentitySpec.accessKey(AK1, SK1)))
            .expiringThreshold(Duration.ofMinutes(30))
            .build());
    providers.fetch(PERSONAL);
    assertThat(heard).containsExactly(PERSONAL, PERSONAL);

    assertThat(providers.removeListener(subscriber)).isTrue();
    providers.invalidateAll();
    providers.fetch(PERSONAL);
    assertThat(heard).hasSize(2);
    assertThat(principals()).hasSize(3);
  }

  @Test
  void nullArgumentsAreNamed() {
    RegistryTokenProviders.Builder b = RegistryTokenProviders.builder();
    assertThatThrownBy(() -> b.acrEndpoint(null)).hasMessage("endpoint");
    assertThatThrownBy(() -> b.environment(null)).hasMessage("env");
    assertThatThrownBy(() -> b.listener(null)).hasMessage("listener");
    assertThatThrownBy(() -> providers.apply(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("configuration");
    assertThatThrownBy(() -> providers.credentials(null)).hasMessage("identity");
  }
}
