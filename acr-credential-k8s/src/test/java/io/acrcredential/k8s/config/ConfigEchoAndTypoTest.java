package io.acrcredential.k8s.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Short secrets never reach a configuration error through YAML tag, anchor or alias names, and a
 * misspelt identity field is an error, not a warning that falls back to another identity.
 */
class ConfigEchoAndTypoTest {

  /** Short enough to pass the long-token filter: only the name rules keep it out. */
  static final String SHORT_SECRET = "pw9Xk2";

  @ParameterizedTest
  @ValueSource(
      strings = {
        "!a!SECRET x",
        "!SECRET!x y",
        "*SECRET",
        "*SECRET]",
        "&SECRET, x",
        "!SECRET",
        "!<SECRET> x",
        "[*SECRET, x]"
      })
  void tagAnchorAndAliasNamesAreNotEchoed(String value) {
    String yaml =
        "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: "
            + value.replace("SECRET", SHORT_SECRET)
            + "\n";
    ConfigParseResult r = ConfigAssertions.parse("acr-registry-info", yaml);
    assertThat(r.errors()).isNotEmpty();
    assertThat(r.errors().toString() + r.warnings()).doesNotContain(SHORT_SECRET);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "customAccesKeySecret",
        "customAccessKeySecert",
        "CustomAccessKeySecret",
        "customAccessKeyID",
        "assumeRoleArn",
        "rrsaRoleArn",
        "accessKeySecret",
        "password"
      })
  void aMisspeltIdentityFieldIsAnError(String field) {
    String yaml = "- instanceId: cri-abcd1234\n  regionId: cn-hangzhou\n  " + field + ": value\n";

    ConfigParseResult r = ConfigAssertions.parse("acr-registry-info", yaml);

    assertThat(r.errors())
        .anySatisfy(
            p ->
                assertThat(p.message())
                    .contains("unknown field")
                    .contains("credential or identity"));
    assertThat(r.invalidKeys())
        .as("the block is rejected, not used with the ambient identity")
        .contains("acr-registry-info");
  }

  @Test
  void otherUnknownFieldsStayWarnings() {
    String yaml = "- instanceId: cri-abcd1234\n  regionId: cn-hangzhou\n  comment: team A\n";

    ConfigParseResult r = ConfigAssertions.parse("acr-registry-info", yaml);

    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).anySatisfy(p -> assertThat(p.message()).contains("unknown field"));
  }

  /**
   * A secret that YAML reads as a number, boolean or date (unquoted) is refused with "put the value
   * in double quotes", never with the value itself: the one place a plain scalar is echoed.
   */
  @ParameterizedTest
  @ValueSource(strings = {"924467013385", "6.02e23", "2026-12-05", "yes"})
  void aSecretThatIsNotAStringIsNotEchoed(String value) {
    String yaml = "- customAccessKey: LTAI5tKeyId\n  customAccessKeySecret: " + value + "\n";

    ConfigParseResult r = ConfigAssertions.parse("acr-registry-info", yaml);

    assertThat(r.errors())
        .anySatisfy(p -> assertThat(p.message()).contains("put the value in double quotes"));
    assertThat(r.errors().toString() + r.warnings()).doesNotContain(value);
  }
}
