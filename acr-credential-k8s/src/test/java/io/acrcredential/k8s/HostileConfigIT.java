package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.ConfigAssertions;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.ConfigProblem;
import io.acrcredential.k8s.config.HostileConfigTest;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.models.V1Secret;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile ConfigMaps reach a running sync the way an operator would apply them:
 * parse, then {@link PullSecretSync#updateConfiguration} with what the parser kept. Every problem
 * names its key, nothing hangs or throws, and the valid registry keeps its Secrets up to date in
 * old and new namespaces throughout.
 */
@WithKubeApiServer
class HostileConfigIT {

  private static final String VALID_ITEM =
      "- regionId: cn-hangzhou\n  domains: registry.cn-hangzhou.aliyuncs.com\n";

  private final SyncFixture fx;

  HostileConfigIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  private static Map<String, String> configMap(String inst, String registryInfo, String... extra) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(AcrConfigParser.WATCH_NAMESPACE_SELECTOR, "acr-test=" + inst);
    data.put(AcrConfigParser.SERVICE_ACCOUNT, "default");
    data.put(AcrConfigParser.ACR_REGISTRY_INFO, registryInfo);
    for (int i = 0; i < extra.length; i += 2) {
      data.put(extra[i], extra[i + 1]);
    }
    return data;
  }

  private static ConfigParseResult parse(Map<String, String> data) {
    return assertTimeoutPreemptively(
        Duration.ofSeconds(10), () -> ConfigAssertions.PARSER.parse(data));
  }

  @Test
  void hostileConfigurationsAreReportedAndTheValidRegistryKeepsWorking() throws Exception {
    String inst = "hostile-" + UUID.randomUUID().toString().substring(0, 6);
    String ns1 = fx.namespace("hostile", Map.of("acr-test", inst));

    // a valid registry next to broken items: the broken ones are errors, the valid one is kept
    ConfigParseResult start =
        parse(
            configMap(
                inst,
                VALID_ITEM
                    + "- regionId: 'Not A Region!'\n  domains: x\n"
                    + "- instanceId: cri-"
                    + "z".repeat(5000)
                    + "\n  regionId: cn-shanghai\n"));
    assertThat(start.errors()).hasSizeGreaterThanOrEqualTo(2);
    assertThat(start.errors())
        .allSatisfy(
            p -> {
              assertThat(p.key()).isEqualTo(AcrConfigParser.ACR_REGISTRY_INFO);
              assertThat(p.message()).doesNotContain("\n").hasSizeLessThan(1000);
            });
    assertThat(start.config().registries()).hasSize(1);

    FakeTokens tokens = new FakeTokens();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(start.config())
            .tokenProvider(tokens)
            .instanceName(inst)
            .build()) {
      sync.start();
      await("the valid registry's Secret in " + ns1, () -> fx.secret(ns1, HZ_SECRET).isPresent());
      V1Secret before = fx.secret(ns1, HZ_SECRET).orElseThrow();

      Map<String, Map<String, String>> hostile = new LinkedHashMap<>();
      hostile.put(
          "YAML alias bomb next to the valid item",
          configMap(
              inst,
              VALID_ITEM
                  + "- regionId: cn-beijing\n  domains: *x\n"
                  + HostileConfigTest.billionLaughs()));
      hostile.put(
          "2 MiB value",
          configMap(inst, VALID_ITEM, AcrConfigParser.WATCH_NAMESPACE, "a".repeat(2 << 20)));
      hostile.put(
          "unknown keys",
          configMap(inst, VALID_ITEM, "acr-registy-info", "typo", "x-unknown", "1"));
      hostile.put(
          "invalid names",
          configMap(
              inst,
              VALID_ITEM + "- regionId: cn-hangzhou\n  instanceId: 'cri-../../etc'\n",
              AcrConfigParser.EXCLUDE_NAMESPACE,
              "Bad_Name,-x-",
              AcrConfigParser.SERVICE_ACCOUNT,
              "default,UPPER CASE"));
      hostile.put("deep nesting", configMap(inst, VALID_ITEM + "- " + "[".repeat(5000) + "\n"));
      hostile.put(
          "java type tag",
          configMap(inst, VALID_ITEM + "- !!javax.script.ScriptEngineManager [x]\n"));

      for (Map.Entry<String, Map<String, String>> h : hostile.entrySet()) {
        ConfigParseResult r = parse(h.getValue());
        assertThat(r.problems()).as(h.getKey()).isNotEmpty();
        assertThat(r.problems())
            .as(h.getKey())
            .allSatisfy(
                p -> {
                  assertThat(p.key()).isNotBlank();
                  assertThat(p.message()).doesNotContain("\n").hasSizeLessThan(1000);
                });
        System.out.printf(
            "[scale-faults] %s: %s%n",
            h.getKey(), r.problems().stream().map(ConfigProblem::toString).limit(2).toList());
        // an operator applies what was kept; an item-level error never drops the valid registry
        if (r.config() != null && !r.config().registries().isEmpty()) {
          assertThat(r.config().registries()).as(h.getKey()).hasSize(1);
          sync.updateConfiguration(r.config());
        }
        assertThat(sync.isReady()).as("still running after " + h.getKey()).isTrue();
      }

      // the valid registry still works: its Secret untouched, a new namespace served
      String ns2 = fx.namespace("hostile", Map.of("acr-test", inst));
      await(
          "a new namespace gets the valid registry's Secret",
          () ->
              fx.sa(ns2, "default").isPresent()
                  && fx.pullSecrets(ns2, "default").contains(HZ_SECRET));
      assertThat(fx.secret(ns1, HZ_SECRET).orElseThrow().getMetadata().getResourceVersion())
          .isEqualTo(before.getMetadata().getResourceVersion());
      tokens.rotateAll();
      sync.credentialsChanged();
      await(
          "a rotation still reaches the old namespace",
          () -> "pw-cn-hangzhou-2".equals(fx.password(ns1, HZ_SECRET, SyncFixture.HANGZHOU)));
    }
  }

  @Test
  void invalidValuesInTheModelAreRejectedWithTheValueNamed() {
    assertThatThrownBy(() -> NamespaceScope.named(List.of("Bad_Name")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Bad_Name");
    assertThatThrownBy(() -> ServiceAccountScope.named(Set.of("UPPER CASE")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("UPPER CASE");
  }
}
