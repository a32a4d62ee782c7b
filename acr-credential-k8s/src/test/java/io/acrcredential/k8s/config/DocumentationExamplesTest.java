package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The examples in CONFIGURATION.md parse as the document says. */
class DocumentationExamplesTest {

  private static final Path DOC = Path.of("CONFIGURATION.md");

  /** Every ```yaml block of the document that has a {@code data:} section, as ConfigMap data. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, String>> examples() throws IOException {
    String doc = Files.readString(DOC);
    Matcher m = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL).matcher(doc);
    List<Map<String, String>> out = new ArrayList<>();
    while (m.find()) {
      Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(m.group(1));
      if (parsed instanceof Map<?, ?> map && map.get("data") instanceof Map<?, ?> data) {
        Map<String, String> d = new LinkedHashMap<>();
        ((Map<String, Object>) data).forEach((k, v) -> d.put(k, String.valueOf(v)));
        out.add(d);
      }
    }
    return out;
  }

  @Test
  void errorExampleGivesTheDocumentedErrorsAndWarnings() throws IOException {
    List<Map<String, String>> ex = examples();
    assertThat(ex).hasSize(3);
    Map<String, String> bad = ex.get(0);
    String doc = Files.readString(DOC);
    assertThatThrownBy(() -> ConfigAssertions.PARSER.parseStrict(bad))
        .isInstanceOf(InvalidConfigurationException.class)
        .satisfies(e -> assertThat(doc).contains(e.getMessage()));
    ConfigParseResult r = ConfigAssertions.PARSER.parse(bad);
    for (ConfigProblem w : r.warnings()) {
      assertThat(doc).contains(w.toString());
    }
    assertThat(r.config().registries()).hasSize(1);
    assertThat(r.config().namespaces().names()).containsExactly("default");
    assertThat(r.config().serviceAccounts().all()).isTrue();
  }

  @Test
  void goodExamplesParseWithoutProblems() throws IOException {
    List<Map<String, String>> ex = examples();
    for (Map<String, String> good : ex.subList(1, ex.size())) {
      ConfigParseResult r = ConfigAssertions.PARSER.parse(good);
      assertThat(r.problems()).as("%s", good).isEmpty();
    }
    AcrConfiguration gitops = ConfigAssertions.PARSER.parse(ex.get(1)).config();
    assertThat(gitops.serviceAccounts().patch()).isFalse();
    assertThat(gitops.namespaces().includes("shop", Map.of("acr.example.com/pull", "enabled")))
        .isTrue();
    assertThat(gitops.namespaces().includes("kube-x", Map.of("acr.example.com/pull", "enabled")))
        .isFalse();
    assertThat(gitops.secretLayout()).isEqualTo(SecretLayout.combined("acr-pull"));
    AcrConfiguration twoAccounts = ConfigAssertions.PARSER.parse(ex.get(2)).config();
    assertThat(twoAccounts.registries()).hasSize(2);
    assertThat(twoAccounts.namespaces().includes("kube-system", Map.of())).isFalse();
  }
}
