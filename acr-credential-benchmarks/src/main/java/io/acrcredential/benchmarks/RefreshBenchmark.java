package io.acrcredential.benchmarks;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenProvider;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * What the cache adds around one refresh, with a provider that does no I/O.
 *
 * <p>A hand-driven clock jumps one hour per operation, so each {@code fetch} finds the cached
 * credential expired and refreshes it through the cache's full path: lock, single-flight future,
 * provider call, new entry, rescheduling the background refresh on the cache's real executor
 * (cancel the old task, schedule the new one). {@link #providerOnly()} does the same clock step and
 * provider call without the cache; the difference is the cache's overhead per refresh.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Threads(1)
public class RefreshBenchmark {

  private static final long HOUR = 3_600_000;
  private static final List<String> DOMAINS = List.of("registry.cn-hangzhou.aliyuncs.com");

  /** A clock that moves only when told to. */
  static final class SteppingClock extends Clock {
    private volatile long millis = System.currentTimeMillis();

    void step(long by) {
      millis += by;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  private SteppingClock clock;
  private TokenProvider provider;
  private CachingTokenProvider cache;
  private RegistryTarget target;

  /** Builds the cache around a provider that only builds a credential valid for an hour. */
  @Setup
  public void setUp() {
    clock = new SteppingClock();
    provider =
        t ->
            new RegistryCredential(
                "cr_temp_user",
                "benchmark-password",
                Instant.ofEpochMilli(clock.millis() + HOUR),
                DOMAINS);
    cache = CachingTokenProvider.builder(provider).clock(clock).build();
    target = RegistryTarget.personal("cn-hangzhou");
    cache.fetch(target);
  }

  /** Stops the cache's refresher thread. */
  @TearDown
  public void tearDown() {
    cache.close();
  }

  /**
   * One refresh through the cache (the previous credential just expired).
   *
   * @return the new credential
   */
  @Benchmark
  public RegistryCredential refreshThroughCache() {
    clock.step(HOUR);
    return cache.fetch(target);
  }

  /**
   * One cold load: forget the key, then fetch it again (adds the map removal and insertion).
   *
   * @return the new credential
   */
  @Benchmark
  public RegistryCredential coldLoadAfterInvalidate() {
    clock.step(HOUR);
    cache.invalidate(target);
    return cache.fetch(target);
  }

  /**
   * Baseline: the same clock step and provider call without the cache.
   *
   * @return the new credential
   */
  @Benchmark
  public RegistryCredential providerOnly() {
    clock.step(HOUR);
    return provider.fetch(target);
  }
}
