package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.acrcredential.core.DockerConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzz tests (Jazzer) of the two parsers that read user or cluster input: the
 * {@code acr-configuration} ConfigMap parser and the Docker config decoder.
 *
 * <p>Under {@code mvn verify} they run in Jazzer's regression mode: each test runs once per input
 * in {@code src/test/resources/io/acrcredential/k8s/ParserFuzzTestInputs/<method>/} (a small seed
 * corpus), in well under a second. To fuzz, set {@code JAZZER_FUZZ=1}, e.g. {@code JAZZER_FUZZ=1
 * mvn -pl acr-credential-k8s -am test -Dtest=ParserFuzzTest#parseConfigMap
 * -Dsurefire.failIfNoSpecifiedTests=false}; each method then runs for its {@code maxDuration}
 * (raise it, or pass {@code -Djazzer.max_duration=10m}), and a crashing input is saved next to the
 * seeds so it becomes a regression test.
 */
class ParserFuzzTest {

  private static final List<String> KEYS = new ArrayList<>(AcrConfigParser.knownKeys());

  @FuzzTest(maxDuration = "30s")
  void parseConfigMap(FuzzedDataProvider data) {
    Map<String, String> configMap = new LinkedHashMap<>();
    int entries = data.consumeInt(0, 5);
    for (int i = 0; i < entries; i++) {
      String key = data.consumeBoolean() ? data.pickValue(KEYS) : data.consumeString(40);
      configMap.put(key, data.consumeString(2000));
    }
    if (data.remainingBytes() > 0) {
      configMap.put(data.pickValue(KEYS), data.consumeRemainingAsString());
    }
    // never an exception other than the documented result; problems are one-line and bounded
    ConfigParseResult r = ConfigAssertions.PARSER.parse(configMap);
    assertThat(r).isNotNull();
    for (ConfigProblem p : r.problems()) {
      assertThat(p.message()).isNotBlank().doesNotContain("\n").hasSizeLessThan(4000);
      assertThat(p.key()).isNotNull();
    }
    if (!r.hasErrors()) {
      assertThat(r.config()).isNotNull();
    }
  }

  @FuzzTest(maxDuration = "30s")
  void decodeDockerConfig(byte[] json) {
    DockerConfig decoded;
    try {
      decoded = DockerConfig.decode(json);
    } catch (IllegalArgumentException expected) {
      assertThat(expected.getMessage()).isNotBlank();
      return;
    }
    // what decodes re-encodes to an equal value, and toString never shows a password; a password
    // that is also part of a host or user name (which toString shows) or could be made of
    // toString's punctuation proves nothing and is skipped
    assertThat(DockerConfig.decode(decoded.toJson())).isEqualTo(decoded);
    String shown = decoded.toString();
    for (DockerConfig.Auth auth : decoded.auths().values()) {
      String p = auth.password();
      boolean inNames =
          decoded.auths().entrySet().stream()
              .anyMatch(e -> e.getKey().contains(p) || e.getValue().username().contains(p));
      if (p.length() >= 8 && !inNames && p.chars().noneMatch(c -> "=,[] ".indexOf(c) >= 0)) {
        assertThat(shown).doesNotContain(p);
      }
    }
  }
}
