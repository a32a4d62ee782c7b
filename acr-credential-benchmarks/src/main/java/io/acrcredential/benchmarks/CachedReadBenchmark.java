package io.acrcredential.benchmarks;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 * The cost of reading a fresh credential from {@link CachingTokenProvider}, alone and with two
 * threads reading the same key, against a plain {@code volatile} read and against the system clock
 * read that every cached read includes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CachedReadBenchmark {

  private CachingTokenProvider cache;
  private RegistryTarget target;
  private Clock clock;
  private volatile RegistryCredential holder;

  /** Builds a cache with the system clock and one fresh credential in it. */
  @Setup
  public void setUp() {
    clock = Clock.systemUTC();
    RegistryCredential credential =
        new RegistryCredential(
            "cr_temp_user",
            "benchmark-password",
            Instant.now().plus(Duration.ofDays(1)),
            List.of("registry.cn-hangzhou.aliyuncs.com"));
    cache = CachingTokenProvider.builder(t -> credential).clock(clock).build();
    target = RegistryTarget.personal("cn-hangzhou");
    cache.fetch(target);
    holder = credential;
  }

  /** Stops the cache's refresher thread. */
  @TearDown
  public void tearDown() {
    cache.close();
  }

  /**
   * A cached read on one thread.
   *
   * @return the credential
   */
  @Benchmark
  @Threads(1)
  public RegistryCredential cachedRead() {
    return cache.fetch(target);
  }

  /**
   * Cached reads of the same key from two threads at once.
   *
   * @return the credential
   */
  @Benchmark
  @Threads(2)
  public RegistryCredential cachedReadContended() {
    return cache.fetch(target);
  }

  /**
   * Baseline: a volatile field read on one thread.
   *
   * @return the credential
   */
  @Benchmark
  @Threads(1)
  public RegistryCredential volatileRead() {
    return holder;
  }

  /**
   * Baseline: the same volatile field read from two threads at once.
   *
   * @return the credential
   */
  @Benchmark
  @Threads(2)
  public RegistryCredential volatileReadContended() {
    return holder;
  }

  /**
   * Baseline: {@code Clock.systemUTC().millis()}, which every cached read performs once.
   *
   * @return the time
   */
  @Benchmark
  @Threads(1)
  public long systemClockMillis() {
    return clock.millis();
  }
}
