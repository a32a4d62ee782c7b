package io.acrcredential.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A settable, thread-safe {@link Clock} in UTC for tests: pass it to the fakes (and to the code
 * under test) and move time with {@link #advance(Duration)} instead of sleeping.
 *
 * <p>Note that the fakes check request timestamps against their clock: a request signed by an SDK
 * that reads the real system time is rejected with {@code InvalidTimeStamp.Expired} once this clock
 * is more than the allowed skew away from the real time (see {@link
 * FakeAcr#setMaxClockSkew(Duration)}).
 */
public final class FakeClock extends Clock {
  private final AtomicReference<Instant> now;

  private FakeClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /**
   * A clock standing at the given instant.
   *
   * @param start the initial time
   * @return a new clock
   */
  public static FakeClock at(Instant start) {
    return new FakeClock(Objects.requireNonNull(start, "start"));
  }

  /**
   * A clock standing at the current system time (truncated to whole seconds).
   *
   * @return a new clock
   */
  public static FakeClock atSystemTime() {
    return new FakeClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
  }

  /**
   * Moves the clock forward (or backward, for a negative duration).
   *
   * @param amount how far to move
   * @return the new time
   */
  public Instant advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    return now.updateAndGet(t -> t.plus(amount));
  }

  /**
   * Sets the clock to the given instant.
   *
   * @param instant the new time
   */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  /** {@inheritDoc} */
  @Override
  public Instant instant() {
    return now.get();
  }

  /** {@inheritDoc} Always UTC. */
  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  /** {@inheritDoc} Time zones are not supported: the fake clock is always UTC. */
  @Override
  public Clock withZone(ZoneId zone) {
    if (ZoneOffset.UTC.equals(zone)) {
      return this;
    }
    throw new UnsupportedOperationException("FakeClock is always UTC, cannot switch to " + zone);
  }

  @Override
  public String toString() {
    return "FakeClock[" + now.get() + "]";
  }
}
