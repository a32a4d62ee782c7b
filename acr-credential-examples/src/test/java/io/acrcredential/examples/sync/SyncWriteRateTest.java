package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.examples.CliHarness;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.cli.CliException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sync --write-rate N [--write-burst N]}: parsing, defaults, errors and help. */
class SyncWriteRateTest {

  @TempDir Path home;

  @Test
  void neitherOptionKeepsTheLibraryDefault() {
    assertThat(SyncSettings.writeRate(Optional.empty(), Optional.empty())).isEmpty();
  }

  @Test
  void rateAloneGetsABurstOfTwiceTheRate() {
    assertThat(SyncSettings.writeRate(Optional.of("50"), Optional.empty()))
        .contains(new Refresher.WriteRate(50, 100));
    assertThat(SyncSettings.writeRate(Optional.of("0.2"), Optional.empty()))
        .contains(new Refresher.WriteRate(0.2, 1));
  }

  @Test
  void burstAloneKeepsTheDefaultRate() {
    assertThat(SyncSettings.writeRate(Optional.empty(), Optional.of("5")))
        .contains(new Refresher.WriteRate(20, 5));
    assertThat(SyncSettings.writeRate(Optional.of(" 7.5 "), Optional.of("3")))
        .contains(new Refresher.WriteRate(7.5, 3));
  }

  @Test
  void badValuesNameTheOption() {
    for (String bad : new String[] {"0", "-1", "fast", "NaN", "Infinity", ""}) {
      assertThatThrownBy(() -> SyncSettings.writeRate(Optional.of(bad), Optional.empty()))
          .as(bad)
          .isInstanceOf(CliException.class)
          .hasMessageContaining("--write-rate")
          .hasMessageContaining("positive number");
    }
    for (String bad : new String[] {"0", "1.5", "x"}) {
      assertThatThrownBy(() -> SyncSettings.writeRate(Optional.of("10"), Optional.of(bad)))
          .as(bad)
          .isInstanceOf(CliException.class)
          .hasMessageContaining("--write-burst");
    }
  }

  @Test
  void helpDescribesTheOptionsAndABadRateIsAUsageError() {
    try (CliHarness cli = new CliHarness(home)) {
      Result help = cli.run("", "sync", "--help");
      assertThat(help.exit()).isZero();
      assertThat(help.stdout()).contains("--write-rate N", "--write-burst N", "rotation raises");
      Result bad = cli.run("", "sync", "--write-rate", "zero", "--config", "/nonexistent");
      assertThat(bad.exit()).isEqualTo(2);
      assertThat(bad.stderr()).contains("invalid --write-rate 'zero'");
    }
  }
}
