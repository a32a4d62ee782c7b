package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared helpers for the parser tests. */
public final class ConfigAssertions {

  public static final AcrConfigParser PARSER = AcrConfigParser.forClusterRegion("cn-hangzhou");

  private ConfigAssertions() {}

  public static ConfigParseResult parse(String... keyValues) {
    return PARSER.parse(map(keyValues));
  }

  public static Map<String, String> map(String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  /** Exactly one error, at the given location, whose message contains every fragment. */
  public static ConfigProblem singleError(
      ConfigParseResult r, String location, String... fragments) {
    List<ConfigProblem> errors = r.errors();
    assertThat(errors).as("errors of %s", r.problems()).hasSize(1);
    ConfigProblem p = errors.get(0);
    assertThat(p.location()).isEqualTo(location);
    for (String f : fragments) {
      assertThat(p.message()).contains(f);
    }
    return p;
  }

  public static void noProblems(ConfigParseResult r) {
    assertThat(r.problems()).isEmpty();
  }
}
