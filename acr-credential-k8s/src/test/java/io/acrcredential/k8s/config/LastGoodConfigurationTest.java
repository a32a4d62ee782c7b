package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigAssertions.PARSER;
import static io.acrcredential.k8s.config.ConfigAssertions.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LastGoodConfigurationTest {

  @Test
  void anInvalidKeyKeepsItsLastGoodValueAndFallsBackToTheDefaultWithoutOne() {
    LastGoodConfiguration configs = new LastGoodConfiguration(PARSER);

    LastGoodConfiguration.Applied first = configs.apply(map("expiring-threshold", "bogus"));
    assertThat(first.keptPrevious()).isFalse();
    assertThat(first.errorLines())
        .singleElement()
        .asString()
        .startsWith("ERROR expiring-threshold: ")
        .endsWith(" (using the default)");
    assertThat(first.result().invalidKeys()).containsExactly("expiring-threshold");
    assertThat(first.result().config().expiringThreshold())
        .isEqualTo(AcrConfiguration.DEFAULT_EXPIRING_THRESHOLD);

    LastGoodConfiguration.Applied good = configs.apply(map("expiring-threshold", "20m"));
    assertThat(good.result().hasErrors()).isFalse();
    assertThat(good.result().config().expiringThreshold()).isEqualTo(Duration.ofMinutes(20));

    LastGoodConfiguration.Applied bad =
        configs.apply(map("expiring-threshold", "bogus", "watch-namespace", "team-a"));
    assertThat(bad.keptPrevious()).isTrue();
    assertThat(bad.keptKeys()).containsExactly("expiring-threshold");
    assertThat(bad.errorLines())
        .singleElement()
        .asString()
        .endsWith(" (keeping the previous value of 'expiring-threshold')");
    assertThat(bad.result().invalidKeys()).containsExactly("expiring-threshold");
    assertThat(bad.result().config().expiringThreshold()).isEqualTo(Duration.ofMinutes(20));
    assertThat(bad.result().config().namespaces().names()).containsExactly("team-a");

    // the merged version is now the last good one: a later bad edit still finds 20m
    LastGoodConfiguration.Applied again = configs.apply(map("expiring-threshold", "also bad"));
    assertThat(again.result().config().expiringThreshold()).isEqualTo(Duration.ofMinutes(20));
  }

  @Test
  void aKeyWithoutAPreviousValueSaysItTakesTheDefaultEvenWhenAnotherKeyKeepsItsOwn() {
    LastGoodConfiguration configs = new LastGoodConfiguration(PARSER);
    configs.apply(map("expiring-threshold", "20m"));

    LastGoodConfiguration.Applied bad =
        configs.apply(map("expiring-threshold", "bogus", "webhook-configuration", "{not: [yaml"));

    assertThat(bad.keptKeys()).containsExactly("expiring-threshold");
    assertThat(bad.result().config().expiringThreshold()).isEqualTo(Duration.ofMinutes(20));
    assertThat(bad.errorLines())
        .anyMatch(l -> l.endsWith("(keeping the previous value of 'expiring-threshold')"))
        .anyMatch(l -> l.contains("webhook-configuration") && l.endsWith("(using the default)"));
  }
}
