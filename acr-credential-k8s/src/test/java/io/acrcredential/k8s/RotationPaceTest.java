package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RotationPaceTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void benchmarkCaseNeedsAboutSixtySevenPerSecond() {
    // 10,000 namespaces x 3 registries, renewed 15 min before expiry: 450 s to write 30,000
    double rate = RotationPace.requiredRate(30_000, NOW, NOW.plus(Duration.ofMinutes(15)));
    assertThat(rate).isCloseTo(30_000 / 450.0, within(1e-9));

    RotationPace pace = RotationPace.plan(30_000, NOW, NOW.plus(Duration.ofMinutes(15)), 20, 1000);
    assertThat(pace.raised(20)).isTrue();
    assertThat(pace.capped()).isFalse();
    assertThat(pace.rate()).isCloseTo(66.67, within(0.01));
    assertThat(pace.raiseFor()).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void configuredRateKeptWhenItFinishesInTime() {
    // 1,000 Secrets in 450 s need 2.2/s: 20/s is plenty
    RotationPace pace = RotationPace.plan(1000, NOW, NOW.plus(Duration.ofMinutes(15)), 20, 1000);
    assertThat(pace.raised(20)).isFalse();
    assertThat(pace.rate()).isEqualTo(20);
    assertThat(pace.raiseFor()).isZero();
  }

  @Test
  void integrationTestScenarioNeedsTwoPerSecond() {
    // 40 Secrets, old token expires in 40 s: finish within 20 s
    RotationPace pace = RotationPace.plan(40, NOW, NOW.plusSeconds(40), 1, 1000);
    assertThat(pace.rate()).isCloseTo(2.0, within(1e-9));
    assertThat(pace.raiseFor()).isEqualTo(Duration.ofSeconds(40));
  }

  @Test
  void cappedWhenEvenTheMaximumIsTooSlow() {
    // 100,000 Secrets in 60 s would need 3,333/s
    RotationPace pace = RotationPace.plan(100_000, NOW, NOW.plusSeconds(120), 20, 1000);
    assertThat(pace.rate()).isEqualTo(1000);
    assertThat(pace.required()).isCloseTo(100_000 / 60.0, within(1e-9));
    assertThat(pace.capped()).isTrue();
  }

  @Test
  void expiredOldTokenGoesAtTheMaximumForAsLongAsTheWritesTake() {
    assertThat(RotationPace.requiredRate(10, NOW, NOW.minusSeconds(1))).isInfinite();
    RotationPace pace = RotationPace.plan(5000, NOW, NOW, 20, 1000);
    assertThat(pace.rate()).isEqualTo(1000);
    assertThat(pace.capped()).isTrue();
    assertThat(pace.raiseFor()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void nothingToWriteNeedsNothing() {
    assertThat(RotationPace.requiredRate(0, NOW, NOW.plusSeconds(10))).isZero();
    assertThat(RotationPace.plan(0, NOW, NOW.minusSeconds(10), 20, 1000).raised(20)).isFalse();
  }

  @Test
  void configuredRateAboveTheCapIsNeverLowered() {
    RotationPace pace = RotationPace.plan(100_000, NOW, NOW.plusSeconds(60), 5000, 1000);
    assertThat(pace.rate()).isGreaterThanOrEqualTo(5000);
  }

  @Test
  void defaultRateRewritesEveryManagedSecretWithinHalfTheRenewalWindow() {
    // the case: 10,000 namespaces x 3 registries, renewed 15 min before expiry
    double rate = RotationPace.defaultRate(30_000, Duration.ofMinutes(15));
    assertThat(rate).isEqualTo(67); // 30,000 / 450 s = 66.7, rounded up
    assertThat(30_000 / rate).isLessThanOrEqualTo(Duration.ofMinutes(15).toSeconds() / 2.0);
    // twice the Secrets, twice the rate; half the window, twice the rate
    assertThat(RotationPace.defaultRate(60_000, Duration.ofMinutes(15))).isEqualTo(134);
    assertThat(RotationPace.defaultRate(30_000, Duration.ofSeconds(450))).isEqualTo(134);
  }

  @Test
  void defaultRateStaysBetweenTheFloorAndTheCap() {
    assertThat(RotationPace.defaultRate(1000, Duration.ofMinutes(15)))
        .isEqualTo(RotationPace.DEFAULT_MIN_RATE);
    assertThat(RotationPace.defaultRate(0, Duration.ofMinutes(15)))
        .isEqualTo(RotationPace.DEFAULT_MIN_RATE);
    assertThat(RotationPace.defaultRate(100, Duration.ZERO))
        .isEqualTo(RotationPace.DEFAULT_MIN_RATE);
    assertThat(RotationPace.defaultRate(10_000_000, Duration.ofMinutes(15)))
        .isEqualTo(RotationPace.MAX_RATE);
    // 9,000 Secrets in 450 s need exactly 20/s: the floor and the need meet
    assertThat(RotationPace.defaultRate(9_000, Duration.ofMinutes(15))).isEqualTo(20);
    assertThat(RotationPace.defaultRate(9_001, Duration.ofMinutes(15))).isEqualTo(21);
  }

  @Test
  void aRotationAtTheDefaultRateNeedsNoRaise() {
    for (long secrets : new long[] {10, 9_001, 30_000, 100_000, 450_000}) {
      double rate = RotationPace.defaultRate(secrets, Duration.ofMinutes(15));
      RotationPace pace =
          RotationPace.plan(secrets, NOW, NOW.plus(Duration.ofMinutes(15)), rate, 1000);
      assertThat(pace.raised(rate)).as("%d Secrets at %s/s", secrets, rate).isFalse();
    }
  }
}
