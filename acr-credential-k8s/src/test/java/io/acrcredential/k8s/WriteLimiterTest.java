package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WriteLimiterTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong nanos = new AtomicLong(123 * SECOND);

  @Test
  void configuredRateSpacesWritesAfterTheBurst() {
    WriteLimiter limiter = new WriteLimiter(2, 1, nanos::get);
    assertThat(limiter.reserve()).isZero();
    assertThat(limiter.reserve()).isEqualTo(SECOND / 2);
    assertThat(limiter.reserve()).isEqualTo(SECOND);
  }

  @Test
  void raisedFloorShortensTheWait() {
    WriteLimiter limiter = new WriteLimiter(1, 1, nanos::get);
    limiter.raiseUntil(10, 60 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(10);
    assertThat(limiter.reserve()).isZero();
    assertThat(limiter.reserve()).isEqualTo(SECOND / 10);
    assertThat(limiter.reserve()).isEqualTo(2 * SECOND / 10);
    // after 1 s at the raised rate ten tokens came back (capped at the burst of 1)
    nanos.addAndGet(SECOND);
    assertThat(limiter.reserve()).isZero();
  }

  @Test
  void configuredRateReturnsWhenTheRaiseEnds() {
    WriteLimiter limiter = new WriteLimiter(1, 1, nanos::get);
    limiter.raiseUntil(100, 5 * SECOND);
    nanos.addAndGet(5 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(1);
    assertThat(limiter.reserve()).isZero();
    assertThat(limiter.reserve()).isEqualTo(SECOND);
  }

  @Test
  void waitSpanningTheEndOfARaiseUsesBothRates() {
    WriteLimiter limiter = new WriteLimiter(1, 1, nanos::get);
    limiter.reserve(); // bucket empty
    limiter.raiseUntil(10, SECOND / 2);
    // five tokens come in the 0.5 s at 10/s; the sixth deficit token at 1/s takes 1 s more
    for (int i = 0; i < 5; i++) {
      limiter.reserve();
    }
    assertThat(limiter.reserve()).isEqualTo(SECOND / 2 + SECOND);
  }

  @Test
  void floorBelowTheConfiguredRateChangesNothing() {
    WriteLimiter limiter = new WriteLimiter(20, 1, nanos::get);
    limiter.raiseUntil(5, 60 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(20);
    limiter.reserve();
    assertThat(limiter.reserve()).isEqualTo(SECOND / 20);
  }

  @Test
  void overlappingRaisesKeepTheHigherRateUntilTheLaterEnd() {
    WriteLimiter limiter = new WriteLimiter(1, 1, nanos::get);
    limiter.raiseUntil(50, 10 * SECOND);
    limiter.raiseUntil(5, 60 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(50);
    nanos.addAndGet(30 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(50);
    nanos.addAndGet(30 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(1);
    // a new raise after the old one ran out starts afresh
    limiter.raiseUntil(5, 10 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(5);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> new WriteLimiter(0, 1, nanos::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("write rate");
  }

  @Test
  void configuringANewRateSpacesTheNextWritesAtIt() {
    WriteLimiter limiter = new WriteLimiter(1, 1, nanos::get);
    assertThat(limiter.reserve()).isZero();
    limiter.configure(4);
    assertThat(limiter.configuredRate()).isEqualTo(4);
    assertThat(limiter.reserve()).isEqualTo(SECOND / 4);
    assertThat(limiter.currentRate()).isEqualTo(4);
  }

  @Test
  void aRaiseAboveANewlyConfiguredRateStays() {
    WriteLimiter limiter = new WriteLimiter(1, 1, nanos::get);
    limiter.raiseUntil(100, 5 * SECOND);
    limiter.configure(10);
    assertThat(limiter.currentRate()).isEqualTo(100);
    nanos.addAndGet(5 * SECOND);
    assertThat(limiter.currentRate()).isEqualTo(10);
  }
}
