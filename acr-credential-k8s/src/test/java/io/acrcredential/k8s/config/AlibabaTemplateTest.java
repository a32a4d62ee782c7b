package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryTarget;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The ConfigMap template of Alibaba's documentation, copied as users copy it, parses without a
 * single problem: no error and no warning (a warning would be logged on every reload).
 */
class AlibabaTemplateTest {

  @SuppressWarnings("unchecked")
  private static Map<String, String> template() throws IOException {
    try (InputStream in = AlibabaTemplateTest.class.getResourceAsStream("alibaba-template.yaml")) {
      Map<String, Object> cm = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      Map<String, String> data = new LinkedHashMap<>();
      ((Map<String, Object>) cm.get("data")).forEach((k, v) -> data.put(k, String.valueOf(v)));
      return data;
    }
  }

  @Test
  void parsesWithoutAWarning() throws IOException {
    Map<String, String> data = template();
    assertThat(data).containsKeys("acr-registry-info", "rrsa", "webhook-configuration");
    ConfigParseResult r = ConfigAssertions.PARSER.parse(data);
    assertThat(r.problems()).isEmpty();
    AcrConfiguration c = r.config();
    assertThat(c.registries()).hasSize(1);
    assertThat(c.registries().get(0).target()).isEqualTo(RegistryTarget.personal("cn-hangzhou"));
    assertThat(c.registries().get(0).identity()).isEqualTo(IdentitySpec.defaultChain());
    assertThat(c.webhook().enabled()).isFalse();
  }

  @Test
  void theDefaultExpireDurationWithoutARoleIsSilentButAnyOtherStillWarns() throws IOException {
    Map<String, String> data = template();
    data.put("acr-registry-info", data.get("acr-registry-info").replace("3600", "7200"));
    ConfigParseResult r = ConfigAssertions.PARSER.parse(data);
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings())
        .singleElement()
        .satisfies(p -> assertThat(p.location()).isEqualTo("acr-registry-info[0].expireDuration"));
  }
}
