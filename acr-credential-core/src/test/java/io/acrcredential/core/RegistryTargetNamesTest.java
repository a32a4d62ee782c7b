package io.acrcredential.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written region and instance id checks accept exactly what the documented forms do. */
class RegistryTargetNamesTest {

  private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+){1,4}");
  private static final Pattern INSTANCE_ID = Pattern.compile("cri-[a-z0-9]{4,64}");

  @Test
  void regionIdsAsTheRegularExpression() {
    for (String s :
        List.of(
            "cn-hangzhou",
            "ap-southeast-1",
            "cn-north-2-gov-1",
            "us-east-1",
            "a-b",
            "cn",
            "cn-",
            "-cn",
            "cn--x",
            "CN-hangzhou",
            "cn-hangzhou-",
            "cn-1",
            "1c-hangzhou",
            "cn-a-b-c-d",
            "cn-a-b-c-d-e",
            "cn_hangzhou",
            "",
            "cn-hang zhou",
            "cn-hangzhou\n")) {
      assertThat(RegistryTarget.isRegionId(s)).as(s).isEqualTo(REGION.matcher(s).matches());
    }
    Random random = new Random(3);
    String alphabet = "ab9-Z_";
    for (int i = 0; i < 50_000; i++) {
      String s = randomString(random, alphabet, 12);
      assertThat(RegistryTarget.isRegionId(s)).as(s).isEqualTo(REGION.matcher(s).matches());
    }
  }

  @Test
  void instanceIdsAsTheRegularExpression() {
    String max = "cri-" + "a".repeat(64);
    for (String s :
        List.of(
            "cri-abc1",
            "cri-abc",
            "cri-abc123",
            "cri-ABC123",
            "cri-abc_12",
            "cri-",
            "cr-abcd",
            max,
            max + "b",
            " cri-abcd",
            "cri-abcd ")) {
      assertThat(RegistryTarget.isInstanceId(s)).as(s).isEqualTo(INSTANCE_ID.matcher(s).matches());
    }
    Random random = new Random(4);
    for (int i = 0; i < 50_000; i++) {
      String s = "cri-" + randomString(random, "a9-Z", 9);
      assertThat(RegistryTarget.isInstanceId(s)).as(s).isEqualTo(INSTANCE_ID.matcher(s).matches());
    }
  }

  @Test
  void targetsStillValidateAndTrim() {
    assertThat(RegistryTarget.enterprise("cn-hangzhou", " cri-abc123 ").instanceId())
        .contains("cri-abc123");
    assertThat(
            new RegistryTarget(
                    RegistryEdition.PERSONAL, "cn-hangzhou", Optional.of("  "), List.of())
                .instanceId())
        .isEmpty();
    assertThatThrownBy(() -> RegistryTarget.enterprise("cn-hangzhou", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs an instance id");
    assertThatThrownBy(() -> RegistryTarget.enterprise("cn-hangzhou", "cri-AB"))
        .hasMessageContaining("invalid instance id");
    assertThatThrownBy(() -> RegistryTarget.personal("Hangzhou"))
        .hasMessageContaining("invalid region id");
  }

  private static String randomString(Random random, String alphabet, int maxLength) {
    int length = random.nextInt(maxLength + 1);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }
}
