package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A seeded random-mutation guard over the parser: valid ConfigMaps are mutated at the character,
 * token and key level, and the parser must only ever return a result (or, in strict mode, throw
 * {@link InvalidConfigurationException}) — never another exception, an internal-error problem, a
 * multi-line message or a hang. It complements a coverage-guided fuzzer; the seed is fixed so a
 * failure reproduces, and printed with the failing input.
 */
class ParserMutationTest {

  /** Override with {@code -Dacr.mutation.seed=N} to explore; failures print the seed. */
  private static final long SEED = Long.getLong("acr.mutation.seed", 0x5eed_acc0_2024L);

  /** Override with {@code -Dacr.mutation.iterations=N} for a longer run. */
  private static final int ITERATIONS = Integer.getInteger("acr.mutation.iterations", 4_000);

  private static final String SECRET = "Zq9SeCrEtVaLuE0xYz8KpQ7mN2b";

  private static final String[] TOKENS = {
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n- ",
    "\t",
    "&a ",
    "*a",
    "&b [x, *a]",
    "!!",
    "!!str ",
    "!!int ",
    "!!java.lang.Object {}",
    "!local ",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    ",",
    "#",
    "%YAML 1.1\n",
    "|",
    ">",
    "? ",
    "<<: *a",
    "\u0000",
    "\ud800",
    "😀",
    "---\n",
    "...",
    "*",
    "all",
    "=",
    "!",
    "(",
    ")",
    " in ",
    " notin ",
    "cri-",
    "cn-",
    "0",
    "-1",
    "99999999999999999999",
    "1e9",
    "true",
    "null",
    "~",
    "\\x",
    "\\u",
    "\u202e",
    "instanceId: ",
    "expireDuration: ",
    "customAccessKeySecret: ",
    "domains: ",
    "regionId: ",
    "enable: "
  };

  private static final List<Map<String, String>> SEEDS =
      List.of(
          RegistryConfigParserTest.REALISTIC,
          ConfigAssertions.map(
              "acr-registry",
                  "registry.*.aliyuncs.com,registry-vpc.*.aliyuncs.com,xxx-registry.*.cr.aliyuncs.com",
              "watch-namespace", "all",
              "exclude-namespace", "kube-*,cattle-system",
              "service-account", "*"),
          ConfigAssertions.map(
              "watch-namespace-selector",
              "env in (prod,staging),!legacy,team=pay",
              "patch-service-accounts",
              "false",
              "secret-layout",
              "combined",
              "secret-name",
              "registry-pull",
              "expiring-threshold",
              "1h0m0s".replace("1h0m0s", "20m30s"),
              "webhook-configuration",
              "enable: true\nfailure-policy: Fail\ntimeout-seconds: 5\n",
              "acr-registry-info",
              "- instanceId: cri-abcd1234\n  domains:\n    - a-registry.cn-hangzhou.cr.aliyuncs.com\n"
                  + "  customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: '"
                  + SECRET
                  + "'\n"));

  @Test
  void mutatedConfigMapsGiveResultsOrConfigErrorsOnly() {
    Random random = new Random(SEED);
    int[] outcomes = new int[3]; // clean, warnings only, errors
    assertTimeoutPreemptively(
        Duration.ofSeconds(Math.max(120, ITERATIONS / 20)),
        () -> {
          for (int i = 0; i < ITERATIONS; i++) {
            Map<String, String> input = mutate(SEEDS.get(random.nextInt(SEEDS.size())), random);
            try {
              ConfigParseResult r = ConfigAssertions.PARSER.parse(input);
              check(r);
              outcomes[r.hasErrors() ? 2 : r.problems().isEmpty() ? 0 : 1]++;
              try {
                ConfigAssertions.PARSER.parseStrict(input);
                assertThat(r.hasErrors()).isFalse();
              } catch (InvalidConfigurationException e) {
                assertThat(r.hasErrors()).isTrue();
                assertThat(e.getMessage()).doesNotContain(SECRET);
              }
            } catch (AssertionError | RuntimeException e) {
              fail("iteration " + i + " (seed " + SEED + ") failed for input " + render(input), e);
            }
          }
        });
    // the mutations must actually exercise both paths, or the test proves nothing
    assertThat(outcomes[2]).as("inputs with errors").isGreaterThan(ITERATIONS / 4);
    assertThat(outcomes[0] + outcomes[1])
        .as("inputs without errors")
        .isGreaterThan(ITERATIONS / 20);
  }

  private static void check(ConfigParseResult r) {
    assertThat(r.config()).isNotNull();
    for (ConfigProblem p : r.problems()) {
      assertThat(p.key()).isNotBlank();
      assertThat(p.location()).startsWith(p.key().equals("(all)") ? "(all)" : p.key());
      assertThat(p.message()).isNotBlank().doesNotContain("internal error").doesNotContain("\n");
      assertThat(p.message()).doesNotContain(SECRET);
      assertThat(p.message().length()).isLessThan(2_000);
    }
    assertThat(r.config().toString()).doesNotContain(SECRET);
  }

  private static Map<String, String> mutate(Map<String, String> seed, Random random) {
    Map<String, String> m = new LinkedHashMap<>(seed);
    int rounds = 1 + random.nextInt(4);
    for (int n = 0; n < rounds; n++) {
      List<String> keys = new ArrayList<>(m.keySet());
      if (keys.isEmpty()) {
        break;
      }
      String key = keys.get(random.nextInt(keys.size()));
      String v = m.get(key);
      switch (random.nextInt(10)) {
        case 0, 1, 2 -> m.put(key, insert(v, TOKENS[random.nextInt(TOKENS.length)], random));
        case 3 -> m.put(key, insert(v, String.valueOf((char) random.nextInt(0x80)), random));
        case 4 -> m.put(key, deleteRange(v, random));
        case 5 -> m.put(key, duplicateRange(v, random));
        case 6 -> m.put(key, v.isEmpty() ? v : v.substring(0, random.nextInt(v.length())));
        case 7 -> {
          m.remove(key);
          String renamed = key.isEmpty() ? "x" : flipChar(key, random);
          m.put(renamed, v);
        }
        case 8 -> {
          String other = keys.get(random.nextInt(keys.size()));
          m.put(key, m.get(other));
          m.put(other, v);
        }
        default -> m.put(key, v.repeat(1 + random.nextInt(3)));
      }
    }
    return m;
  }

  private static String insert(String v, String token, Random random) {
    int at = random.nextInt(v.length() + 1);
    return v.substring(0, at) + token + v.substring(at);
  }

  private static String deleteRange(String v, Random random) {
    if (v.isEmpty()) {
      return v;
    }
    int from = random.nextInt(v.length());
    int to = Math.min(v.length(), from + 1 + random.nextInt(8));
    return v.substring(0, from) + v.substring(to);
  }

  private static String duplicateRange(String v, Random random) {
    if (v.isEmpty()) {
      return v;
    }
    int from = random.nextInt(v.length());
    int to = Math.min(v.length(), from + 1 + random.nextInt(40));
    return v.substring(0, to) + v.substring(from, to) + v.substring(to);
  }

  private static String flipChar(String s, Random random) {
    int at = random.nextInt(s.length());
    char c = (char) ('a' + random.nextInt(26));
    return s.substring(0, at) + c + s.substring(at + 1);
  }

  private static String render(Map<String, String> m) {
    StringBuilder sb = new StringBuilder("{");
    m.forEach(
        (k, v) ->
            sb.append("\n  ")
                .append(k)
                .append(" => ")
                .append(v == null ? "null" : v.replace("\n", "\\n")));
    return sb.append("\n}").toString();
  }
}
