package io.acrcredential.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/** Single flight under real threads: a latch holds the provider until every caller has asked. */
class CachingTokenProviderConcurrencyTest {

  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final long STACK_SIZE = 256 * 1024;

  private final FakeClock clock = FakeClock.at(T0);
  private final FakeScheduler scheduler = new FakeScheduler(clock);

  /** A provider that blocks every call until released, counting calls per key. */
  private static final class GatedProvider implements TokenProvider {
    final CountDownLatch release = new CountDownLatch(1);
    final Map<RegistryTarget, AtomicInteger> callsPerKey = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();
    volatile TokenException failure;

    @Override
    public RegistryCredential fetch(RegistryTarget target) {
      int n = calls.incrementAndGet();
      callsPerKey.computeIfAbsent(target, k -> new AtomicInteger()).incrementAndGet();
      try {
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("test provider was never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (failure != null) {
        throw failure;
      }
      return new RegistryCredential(
          "cr_temp_user",
          "pw-" + n,
          T0.plus(Duration.ofHours(1)),
          List.of(target.regionId() + ".example.com"));
    }
  }

  private CachingTokenProvider cache(TokenProvider provider) {
    return CachingTokenProvider.builder(provider)
        .clock(clock)
        .scheduler(scheduler)
        .random(() -> 0.0)
        .build();
  }

  @Test
  void thousandCallersOfOneColdKeyCauseExactlyOneProviderCall() throws Exception {
    GatedProvider provider = new GatedProvider();
    RegistryTarget target = RegistryTarget.personal("cn-hangzhou");
    int callers = 1_000;
    AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(callers);

    try (CachingTokenProvider cache = cache(provider)) {
      runTogether(callers, i -> target, cache, provider, results);
    }

    assertThat(provider.calls).hasValue(1);
    Object first = results.get(0);
    assertThat(first).isInstanceOf(RegistryCredential.class);
    for (int i = 0; i < callers; i++) {
      assertThat(results.get(i)).as("result of caller %d", i).isSameAs(first);
    }
  }

  @Test
  void hundredColdKeysCauseExactlyOneProviderCallEach() throws Exception {
    GatedProvider provider = new GatedProvider();
    int keys = 100;
    int callersPerKey = 10;
    List<RegistryTarget> targets = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      targets.add(RegistryTarget.personal("cn-region" + k));
    }
    int callers = keys * callersPerKey;
    AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(callers);

    try (CachingTokenProvider cache = cache(provider)) {
      runTogether(callers, i -> targets.get(i % keys), cache, provider, results);
    }

    assertThat(provider.calls).hasValue(keys);
    assertThat(provider.callsPerKey).hasSize(keys);
    assertThat(provider.callsPerKey.values()).allSatisfy(c -> assertThat(c).hasValue(1));
    for (int i = 0; i < callers; i++) {
      RegistryTarget target = targets.get(i % keys);
      assertThat(results.get(i)).isInstanceOf(RegistryCredential.class);
      assertThat(((RegistryCredential) results.get(i)).domains())
          .containsExactly(target.regionId() + ".example.com");
      assertThat(results.get(i)).isSameAs(results.get(i % keys));
    }
  }

  @Test
  void allCallersOfAColdKeyShareTheSameFailure() throws Exception {
    GatedProvider provider = new GatedProvider();
    provider.failure = new TokenException(TokenException.Reason.NETWORK, null, "connection reset");
    RegistryTarget target = RegistryTarget.enterprise("cn-shanghai", "cri-abcd1234");
    int callers = 200;
    AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(callers);

    try (CachingTokenProvider cache = cache(provider)) {
      runTogether(callers, i -> target, cache, provider, results);
    }

    assertThat(provider.calls).hasValue(1);
    for (int i = 0; i < callers; i++) {
      assertThat(results.get(i)).isSameAs(provider.failure);
    }
  }

  private interface KeyOf {
    RegistryTarget key(int caller);
  }

  /**
   * Starts {@code callers} threads that each fetch their key; releases the provider only after
   * every thread has started its fetch, then waits for all of them.
   */
  private static void runTogether(
      int callers,
      KeyOf keyOf,
      CachingTokenProvider cache,
      GatedProvider provider,
      AtomicReferenceArray<Object> results)
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(callers);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>(callers);
    for (int i = 0; i < callers; i++) {
      int caller = i;
      Thread thread =
          new Thread(
              null,
              () -> {
                try {
                  go.await();
                  started.countDown();
                  results.set(caller, cache.fetch(keyOf.key(caller)));
                } catch (TokenException e) {
                  results.set(caller, e);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "caller-" + i,
              STACK_SIZE);
      threads.add(thread);
      thread.start();
    }
    go.countDown();
    assertThat(started.await(60, TimeUnit.SECONDS)).as("all callers started").isTrue();
    provider.release.countDown();
    for (Thread thread : threads) {
      thread.join(60_000);
      assertThat(thread.isAlive()).as("%s finished", thread.getName()).isFalse();
    }
  }
}
