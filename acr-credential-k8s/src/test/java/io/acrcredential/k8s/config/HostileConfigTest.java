package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigAssertions.parse;
import static io.acrcredential.k8s.config.ConfigAssertions.singleError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed and hostile ConfigMaps: clear errors, no escaping exceptions, no hangs. */
public class HostileConfigTest {

  private static final Duration LIMIT = Duration.ofSeconds(10);
  private static final String SECRET = "Zq9SeCrEtVaLuE0xYz8KpQ7mN2b";

  /** Counts constructions; a YAML tag naming this class must never instantiate it. */
  public static final class Canary {
    static final AtomicInteger CREATED = new AtomicInteger();

    /** Records a construction. */
    public Canary() {
      CREATED.incrementAndGet();
    }
  }

  public static String billionLaughs() {
    StringBuilder sb =
        new StringBuilder(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
      sb.append(c).append(": &").append(c).append(" [");
      for (int i = 0; i < 9; i++) {
        sb.append(i == 0 ? "" : ",").append('*').append(prev);
      }
      sb.append("]\n");
      prev = c;
    }
    return sb.toString();
  }

  private static ConfigParseResult timed(Map<String, String> data) {
    return assertTimeoutPreemptively(LIMIT, () -> ConfigAssertions.PARSER.parse(data));
  }

  @ParameterizedTest
  @ValueSource(strings = {"acr-registry-info", "rrsa", "webhook-configuration"})
  void aliasBombIsRefused(String key) {
    ConfigParseResult r = timed(ConfigAssertions.map(key, billionLaughs()));
    singleError(r, key, "too many YAML aliases", "alias bomb");
  }

  @Test
  void aliasBombInsideARegistryListIsRefused() {
    String yaml =
        "- instanceId: cri-abcd1234\n  domains: &d [\"a.example.com\"]\n"
            + "- domains: ["
            + "*d,".repeat(200)
            + "*d]\n";
    ConfigParseResult r = timed(ConfigAssertions.map("acr-registry-info", yaml));
    singleError(r, "acr-registry-info", "too many YAML aliases");
  }

  @Test
  void selfReferencingAliasDoesNotLoop() {
    ConfigParseResult r =
        timed(ConfigAssertions.map("acr-registry-info", "- &x [*x]\n", "rrsa", "&y {enable: *y}"));
    assertThat(r.errors())
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("acr-registry-info", "rrsa");
    assertThat(r.errors())
        .allSatisfy(p -> assertThat(p.message()).doesNotContain("internal error"));
  }

  @Test
  void deepNestingIsRefused() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    ConfigParseResult r =
        timed(
            ConfigAssertions.map(
                "acr-registry-info", deep, "webhook-configuration", "{a: " + deep + "}"));
    assertThat(r.errors())
        .hasSize(2)
        .allSatisfy(p -> assertThat(p.message()).contains("nested too deeply"));
  }

  @Test
  void oversizedValueIsRejectedWithItsLength() {
    String huge = "a,".repeat(AcrConfigParser.MAX_VALUE_CHARS / 2 + 1);
    ConfigParseResult r = timed(ConfigAssertions.map("watch-namespace", huge));
    singleError(r, "watch-namespace", (huge.length()) + " characters long", "at most 1048576");
    assertThat(r.config().namespaces().names()).containsExactly("default");
    assertThat(r.errors().get(0).message().length()).isLessThan(200);
  }

  @Test
  void oversizedRegistryInfoDoesNotFallBackToTheDefaultRegistry() {
    String huge = "#".repeat(AcrConfigParser.MAX_VALUE_CHARS + 1);
    ConfigParseResult r = timed(ConfigAssertions.map("acr-registry-info", huge));
    singleError(r, "acr-registry-info", "characters long");
    assertThat(r.config().registries()).isEmpty();
  }

  @Test
  void longListsAreCapped() {
    StringBuilder ns = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      ns.append("ns-").append(i).append(',');
    }
    ConfigParseResult r = timed(ConfigAssertions.map("watch-namespace", ns.toString()));
    singleError(r, "watch-namespace", "more than 10000 items");
    assertThat(r.config().namespaces().names()).hasSize(10_000);
  }

  @Test
  void hugeYamlListIsCappedAtTheRegistryLimit() {
    String items = "- {}\n".repeat(150_000); // under 1 MiB
    ConfigParseResult r = timed(ConfigAssertions.map("acr-registry-info", items));
    assertThat(r.errors().get(0).message()).contains("150000 registries", "at most 100");
  }

  @Test
  void hugeScalarIsNotEchoedInFull() {
    String longNs = "x".repeat(500_000) + "_";
    ConfigParseResult r = timed(ConfigAssertions.map("watch-namespace", longNs));
    ConfigProblem p = singleError(r, "watch-namespace", "(500001 characters)");
    assertThat(p.message().length()).isLessThan(400);
  }

  @Test
  void manyUnknownKeysProduceABoundedProblemList() {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < 5_000; i++) {
      m.put("unknown-key-" + i, "v");
    }
    ConfigParseResult r = timed(m);
    assertThat(r.problems()).hasSize(Problems.MAX + 1);
    assertThat(r.problems().get(Problems.MAX).message()).contains("4800 more problems");
  }

  @Test
  void javaClassTagsNeverConstructAnything() {
    String canary = "!!" + Canary.class.getName();
    String[] payloads = {
      "- " + canary + " {}\n",
      "- instanceId: " + canary + " {}\n",
      "- !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL"
          + " [\"http://127.0.0.1:1/\"]]]]\n",
      "enable: " + canary + " {}\n",
    };
    for (String payload : payloads) {
      ConfigParseResult r =
          timed(ConfigAssertions.map("acr-registry-info", payload, "rrsa", payload));
      assertThat(r.errors()).as(payload).isNotEmpty();
      assertThat(r.errors())
          .allSatisfy(p -> assertThat(p.message()).doesNotContain("internal error"));
    }
    assertThat(Canary.CREATED).hasValue(0);
  }

  @Test
  void standardButUnexpectedTagsAreClearErrors() {
    ConfigParseResult r =
        timed(
            ConfigAssertions.map(
                "acr-registry-info",
                "- instanceId: !!binary Y3JpLWFiY2QxMjM0\n  domains: !local a.example.com\n"));
    assertThat(r.errors())
        .extracting(ConfigProblem::location)
        .containsExactly("acr-registry-info[0].instanceId", "acr-registry-info[0].domains");
    assertThat(r.errors()).allSatisfy(p -> assertThat(p.message()).contains("tag"));
  }

  @Test
  void multipleDocumentsAreAnError() {
    ConfigParseResult r =
        timed(
            ConfigAssertions.map(
                "acr-registry-info",
                "- instanceId: cri-abcd1234\n---\n- instanceId: cri-efgh5678\n"));
    singleError(r, "acr-registry-info", "invalid YAML", "line 2");
  }

  @Test
  void controlCharactersAreEscapedInMessages() {
    ConfigParseResult r = parse("watch-namespace", "ok,evil\nERROR forged line\u001b[31m");
    ConfigProblem p = r.errors().get(0);
    assertThat(p.message())
        .doesNotContain("\n")
        .doesNotContain("\u001b")
        .contains("\\u000a", "\\u001b");
    assertThat(p.toString()).doesNotContain("\n");
  }

  // ------------------------------------------------------------------ the secret is never echoed

  private static void assertNoSecret(ConfigParseResult r) {
    assertThat(r.toString()).doesNotContain(SECRET);
    for (ConfigProblem p : r.problems()) {
      assertThat(p.toString()).doesNotContain(SECRET);
    }
    assertThat(r.config().toString()).doesNotContain(SECRET);
    if (r.hasErrors()) {
      assertThatThrownBy(r::orThrow)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // valid: stored, never printed
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: \"SECRET\"\n",
        // wrong type: a number-looking secret
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: 1234SECRET\n",
        // leading space in the secret
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: \" SECRET\"\n",
        // secret as a list / mapping
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: [SECRET]\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: {SECRET: SECRET}\n",
        // YAML errors on the secret's line
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: \"SEC\\qRET\"\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: \"SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: SECRET: x\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: 'SECRET\n\t- x",
        // secret without an id, and with a broken id
        "- customAccessKeySecret: SECRET\n",
        "- customAccessKey: \"bad id\"\n  customAccessKeySecret: SECRET\n",
        // typo in the field name
        "- customAccessKey: LTAI5tKeyId\n  customAccesKeySecret: SECRET\n",
        // unquoted secrets starting with YAML indicators become tags, aliases, anchors, directives
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: !SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: !!SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: !<SECRET> x\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: *SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: &SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: &SECRET x\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: @SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: `SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: %SECRET\n",
        "%SECRET\n- customAccessKey: LTAI5tKeyId\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: |SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: >SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: {SECRET\n",
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: \"\\xSECRET\"\n",
        // secret duplicated
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: SECRET\n  customAccessKeySecret: SECRET\n",
      })
  void secretIsNeverEchoed(String template) {
    String yaml =
        template
            .replace("SECRET", SECRET)
            .replace("SEC\\qRET", SECRET.substring(0, 5) + "\\q" + SECRET.substring(5));
    ConfigParseResult r = timed(ConfigAssertions.map("acr-registry-info", yaml));
    assertNoSecret(r);
  }

  @Test
  void secretOnTheLineOfAYamlErrorIsNotShown() {
    // the scanner fails right after the secret; snakeyaml's own message would print this line
    String yaml =
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: "
            + SECRET
            + "\n  domains: [a, b\n";
    ConfigParseResult r = timed(ConfigAssertions.map("acr-registry-info", yaml));
    singleError(r, "acr-registry-info", "invalid YAML", "line");
    assertNoSecret(r);
  }

  @Test
  void registryBlockPastedUnderTheWrongKeyIsRejectedWithoutEchoingTheSecret() {
    String block =
        "- instanceId: cri-abcd1234\n  customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: "
            + SECRET
            + "\n";
    for (String key :
        new String[] {"watch-namespace", "watch-namespace-selector", "notify-email"}) {
      ConfigParseResult r = timed(ConfigAssertions.map(key, block));
      singleError(r, key, "looks like an AccessKey secret", "not shown");
      assertNoSecret(r);
    }
  }

  @Test
  void secretInsideALongEchoedValueIsRedactedBeforeShortening() {
    // 40 characters of prefix, so the secret straddles the 64-character echo limit
    String yaml =
        "- domains: \""
            + "a".repeat(40)
            + SECRET
            + "_x\"\n  customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: "
            + SECRET
            + "\n";
    ConfigParseResult r = timed(ConfigAssertions.map("acr-registry-info", yaml));
    assertThat(r.errors()).isNotEmpty();
    assertNoSecret(r);
    assertThat(r.errors().toString())
        .doesNotContain(SECRET.substring(0, 12))
        .contains("<redacted>");
  }

  @Test
  void commentOnTheSecretLineDoesNotTurnOrdinaryWordsIntoSecrets() {
    ConfigParseResult r =
        timed(
            ConfigAssertions.map(
                "watch-namespace",
                "default,payments",
                "acr-registry-info",
                "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: \""
                    + SECRET
                    + "\" # payments default namespace\n"));
    assertThat(r.problems()).isEmpty();
    assertThat(r.config().namespaces().names()).containsExactly("default", "payments");
  }
}
