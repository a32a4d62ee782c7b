package io.acrcredential.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.acrcredential.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CachingTokenProviderTest {

  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final long MIN = 60_000;
  private static final long SEC = 1_000;
  private static final DoubleSupplier NO_JITTER = () -> 0.0;

  private final FakeClock clock = FakeClock.at(T0);
  private final FakeScheduler scheduler = new FakeScheduler(clock);
  private final ScriptedProvider provider = new ScriptedProvider(clock, Duration.ofMinutes(60));
  private final RegistryTarget target = RegistryTarget.personal("cn-hangzhou");
  private final List<CredentialChange> changes = new CopyOnWriteArrayList<>();
  private final List<RefreshFailure> failures = new CopyOnWriteArrayList<>();
  private final CacheListener recorder = recording(changes, failures);

  private static CacheListener recording(
      List<CredentialChange> changes, List<RefreshFailure> failures) {
    return new CacheListener() {
      @Override
      public void credentialChanged(CredentialChange change) {
        changes.add(change);
      }

      @Override
      public void refreshFailed(RefreshFailure failure) {
        failures.add(failure);
      }
    };
  }

  private CachingTokenProvider cache;

  private CachingTokenProvider.Builder builder(TokenProvider delegate, DoubleSupplier random) {
    return CachingTokenProvider.builder(delegate)
        .clock(clock)
        .scheduler(scheduler)
        .random(random)
        .listener(recorder);
  }

  private CachingTokenProvider build(DoubleSupplier random) {
    cache = builder(provider, random).build();
    return cache;
  }

  private static long at(long offsetMillis) {
    return T0.toEpochMilli() + offsetMillis;
  }

  @AfterEach
  void closeCache() {
    if (cache != null) {
      cache.close();
    }
  }

  // --- serving and the refresh window ------------------------------------------------------------

  @Test
  void coldFetchCallsTheProviderOnceAndLaterReadsAreServedFromTheCache() {
    build(NO_JITTER);

    RegistryCredential first = cache.fetch(target);
    for (int i = 0; i < 100; i++) {
      clock.advance(Duration.ofSeconds(10));
      assertThat(cache.fetch(target)).isSameAs(first);
    }

    assertThat(first.password()).isEqualTo("pw-1");
    assertThat(provider.calls()).isEqualTo(1);
  }

  @Test
  void refreshStartsExactlyAtTheThresholdBeforeExpiryWhenJitterIsZero() {
    build(NO_JITTER);
    RegistryCredential first = cache.fetch(target);
    assertThat(cache.nextRefresh(target)).contains(T0.plus(Duration.ofMinutes(45)));

    scheduler.advanceTo(at(45 * MIN - 1));
    assertThat(provider.calls()).isEqualTo(1);
    assertThat(cache.fetch(target)).isSameAs(first);

    scheduler.advanceTo(at(45 * MIN));
    assertThat(provider.calls()).isEqualTo(2);
    RegistryCredential second = cache.fetch(target);
    assertThat(second.password()).isEqualTo("pw-2");
    assertThat(cache.nextRefresh(target)).contains(T0.plus(Duration.ofMinutes(90)));
  }

  @Test
  void configuredThresholdAndJitterMoveTheRefreshEarlier() {
    cache =
        builder(provider, () -> 0.5)
            .refreshBeforeExpiry(Duration.ofMinutes(20))
            .refreshJitter(Duration.ofMinutes(4))
            .build();
    cache.fetch(target);

    // 60 min - 20 min threshold - 0.5 * 4 min jitter
    assertThat(cache.nextRefresh(target)).contains(T0.plus(Duration.ofMinutes(38)));
  }

  @Test
  void backgroundRefresherKeepsAKeyFreshWithoutReads() {
    build(NO_JITTER);
    cache.fetch(target);

    scheduler.advance(Duration.ofHours(5));

    // refreshes at 45, 90, 135, 180, 225 and 270 minutes
    assertThat(provider.callTimes())
        .containsExactly(
            at(0),
            at(45 * MIN),
            at(90 * MIN),
            at(135 * MIN),
            at(180 * MIN),
            at(225 * MIN),
            at(270 * MIN));
    assertThat(cache.fetch(target).password()).isEqualTo("pw-7");
    assertThat(provider.calls()).isEqualTo(7);
  }

  @Test
  void jitterStaysWithinItsBoundsSpreadsKeysAndIsDeterministicForASeed() {
    List<Long> firstRun = refreshTimesOf200Keys(new Random(42));
    List<Long> secondRun = refreshTimesOf200Keys(new Random(42));

    long windowStart = at(40 * MIN); // 60 - 15 - 5
    long windowEnd = at(45 * MIN);
    assertThat(firstRun).allSatisfy(t -> assertThat(t).isBetween(windowStart, windowEnd));
    assertThat(firstRun.stream().distinct().count()).isGreaterThan(190);
    long min = firstRun.stream().mapToLong(Long::longValue).min().orElseThrow();
    long max = firstRun.stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(max - min).as("spread of 200 keys").isGreaterThan(4 * MIN);
    assertThat(secondRun).isEqualTo(firstRun);
  }

  private List<Long> refreshTimesOf200Keys(Random random) {
    FakeClock localClock = FakeClock.at(T0);
    ScriptedProvider localProvider = new ScriptedProvider(localClock, Duration.ofMinutes(60));
    List<Long> times = new ArrayList<>();
    try (CachingTokenProvider local =
        CachingTokenProvider.builder(localProvider)
            .clock(localClock)
            .scheduler(new FakeScheduler(localClock))
            .random(random::nextDouble)
            .build()) {
      for (int i = 0; i < 200; i++) {
        RegistryTarget key = RegistryTarget.personal("cn-region" + i);
        local.fetch(key);
        times.add(local.nextRefresh(key).orElseThrow().toEpochMilli());
      }
    }
    return times;
  }

  @Test
  void shortLivedCredentialIsRefreshedHalfwayThroughItsServingTimeNotInALoop() {
    ScriptedProvider shortLived = new ScriptedProvider(clock, Duration.ofMinutes(10));
    cache = builder(shortLived, NO_JITTER).build();
    cache.fetch(target);

    // serving ends at 9 min (1 min margin); already inside the 15 min window, so refresh at 4.5 min
    assertThat(cache.nextRefresh(target)).contains(T0.plus(Duration.ofSeconds(270)));
    scheduler.advance(Duration.ofMinutes(60));
    assertThat(shortLived.calls()).isBetween(13, 15);
  }

  // --- failures ---------------------------------------------------------------------------------

  @Test
  void retryableFailuresBackOffExponentiallyUpToTheMaximumWhileTheValidTokenIsServed() {
    build(NO_JITTER);
    RegistryCredential first = cache.fetch(target);
    provider.failAlways(ScriptedProvider.unavailable());

    for (long t = 45 * MIN; t < 59 * MIN; t += SEC) {
      scheduler.advanceTo(at(t));
      assertThat(cache.fetch(target)).isSameAs(first);
    }

    List<Long> calls = provider.callTimes();
    List<Long> gaps = new ArrayList<>();
    for (int i = 2; i < calls.size(); i++) {
      gaps.add((calls.get(i) - calls.get(i - 1)) / SEC);
    }
    assertThat(calls.get(1)).isEqualTo(at(45 * MIN));
    assertThat(gaps).startsWith(1L, 2L, 4L, 8L, 16L, 32L, 64L, 120L, 120L, 120L);
    assertThat(gaps.subList(7, gaps.size())).containsOnly(120L);
    assertThat(failures).hasSize(calls.size() - 1);
    RefreshFailure firstFailure = failures.get(0);
    assertThat(firstFailure.validCredentialHeld()).isTrue();
    assertThat(firstFailure.servedUntil()).contains(T0.plus(Duration.ofMinutes(59)));
    assertThat(firstFailure.nextAttempt())
        .isEqualTo(T0.plus(Duration.ofMinutes(45)).plusSeconds(1));
    assertThat(firstFailure.consecutiveFailures()).isEqualTo(1);
    assertThat(failures.get(5).consecutiveFailures()).isEqualTo(6);
  }

  @Test
  void backoffDelaysStayWithinTheirJitterBounds() {
    cache =
        builder(provider, new Random(3)::nextDouble)
            .retryBackoff(Duration.ofMillis(500), Duration.ofSeconds(90))
            .retryMultiplier(3)
            .retryJitter(0.25)
            .build();
    for (int n = 1; n <= 12; n++) {
      long base = (long) Math.min(90_000, 500 * Math.pow(3, n - 1));
      long lowest = Long.MAX_VALUE;
      long highest = 0;
      for (int i = 0; i < 500; i++) {
        long delay = cache.backoffMillis(n);
        lowest = Math.min(lowest, delay);
        highest = Math.max(highest, delay);
      }
      assertThat(lowest).as("shortest delay after failure %d", n).isGreaterThan(base * 3 / 4 - 1);
      assertThat(highest).as("longest delay after failure %d", n).isLessThanOrEqualTo(base);
      assertThat(highest - lowest).as("jitter after failure %d", n).isGreaterThan(base / 8);
    }
  }

  @ParameterizedTest(name = "outage from minute {0} for 45 minutes")
  @ValueSource(ints = {1, 5, 10})
  void a45MinuteOutageOfA60MinuteTokenIsInvisibleToCallers(int startMinute) {
    build(new Random(startMinute)::nextDouble);
    long outageStart = at(startMinute * MIN);
    long outageEnd = outageStart + 45 * MIN;
    provider.failWhen(
        now -> now >= outageStart && now < outageEnd ? ScriptedProvider.unavailable() : null);

    for (long t = 0; t <= 3 * 60 * MIN; t += 5 * SEC) {
      scheduler.advanceTo(at(t));
      long now = clock.millis();
      RegistryCredential served = cache.fetch(target); // must never throw
      assertThat(served.expiresAt().toEpochMilli() - now)
          .as("remaining life of the credential served at %s", clock.instant())
          .isGreaterThanOrEqualTo(MIN);
    }

    long callsDuringOutage =
        provider.callTimes().stream().filter(t -> t >= outageStart && t < outageEnd).count();
    assertThat(callsDuringOutage).as("provider calls during the outage").isBetween(1L, 25L);
    assertThat(failures).allSatisfy(f -> assertThat(f.validCredentialHeld()).isTrue());
  }

  @ParameterizedTest(name = "outage from minute {0} for 45 minutes")
  @ValueSource(ints = {14, 20, 30})
  void duringLongerOutagesCallersGetAnErrorOnlyWhenNoValidTokenExists(int startMinute) {
    build(new Random(startMinute)::nextDouble);
    long outageStart = at(startMinute * MIN);
    long outageEnd = outageStart + 45 * MIN;
    provider.failWhen(
        now -> now >= outageStart && now < outageEnd ? ScriptedProvider.unavailable() : null);
    List<RegistryCredential> issued = new ArrayList<>();
    int errors = 0;

    for (long t = 0; t <= 3 * 60 * MIN; t += SEC) {
      scheduler.advanceTo(at(t));
      long now = clock.millis();
      try {
        RegistryCredential served = cache.fetch(target);
        if (!issued.contains(served)) {
          issued.add(served);
        }
        assertThat(served.expiresAt().toEpochMilli() - now).isGreaterThanOrEqualTo(MIN);
      } catch (TokenException e) {
        errors++;
        long newestExpiry = provider.lastIssuedExpiry();
        assertThat(newestExpiry - MIN)
            .as("an error at %s while a valid token existed", clock.instant())
            .isLessThanOrEqualTo(now);
        assertThat(now).isBetween(outageStart, outageEnd + 2 * MIN);
      }
    }

    if (startMinute >= 20) {
      assertThat(errors).as("errors once the token ran out mid-outage").isPositive();
    }
    assertThat(provider.callTimes().stream().filter(t -> t >= outageStart && t < outageEnd))
        .as("provider calls during the outage while callers read every second")
        .hasSizeLessThan(120);
  }

  @Test
  void nonRetryableFailureBacksOffToTheLongIntervalAndIsReported() {
    build(NO_JITTER);
    RegistryCredential first = cache.fetch(target);
    TokenException forbidden = ScriptedProvider.forbidden();
    provider.failAlways(forbidden);

    scheduler.advanceTo(at(45 * MIN));
    assertThat(provider.callTimes()).containsExactly(at(0), at(45 * MIN));
    assertThat(failures).hasSize(1);
    RefreshFailure failure = failures.get(0);
    assertThat(failure.exception()).isSameAs(forbidden);
    assertThat(failure.exception().errorCode()).contains("Forbidden.RAM");
    assertThat(failure.validCredentialHeld()).isTrue();
    assertThat(failure.servedUntil()).contains(T0.plus(Duration.ofMinutes(59)));
    assertThat(failure.nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(55)));

    for (long t = 45 * MIN; t < 55 * MIN; t += SEC) {
      scheduler.advanceTo(at(t));
      assertThat(cache.fetch(target)).isSameAs(first);
    }
    assertThat(provider.calls()).as("no attempt inside the long interval").isEqualTo(2);

    scheduler.advanceTo(at(55 * MIN));
    assertThat(provider.callTimes()).containsExactly(at(0), at(45 * MIN), at(55 * MIN));
    assertThat(cache.nextRefresh(target)).contains(T0.plus(Duration.ofMinutes(65)));
  }

  @Test
  void coldCallerAfterANonRetryableFailureGetsItQuicklyWithoutCallingTheProviderAgain() {
    build(NO_JITTER);
    TokenException forbidden = ScriptedProvider.forbidden();
    provider.failAlways(forbidden);

    assertThatThrownBy(() -> cache.fetch(target)).isSameAs(forbidden);
    assertThat(failures).singleElement().satisfies(f -> assertThat(f.servedUntil()).isEmpty());
    for (int i = 0; i < 299; i++) {
      clock.advance(Duration.ofMillis(100));
      assertThatThrownBy(() -> cache.fetch(target)).isSameAs(forbidden);
    }
    assertThat(provider.calls()).as("negatively cached for 30 s").isEqualTo(1);

    clock.advance(Duration.ofMillis(100));
    assertThatThrownBy(() -> cache.fetch(target)).isSameAs(forbidden);
    assertThat(provider.calls()).isEqualTo(2);

    provider.succeed();
    scheduler.advanceTo(at(30 * SEC + 10 * MIN));
    assertThat(provider.calls()).as("background retry after the long interval").isEqualTo(3);
    assertThat(cache.fetch(target).password()).isEqualTo("pw-1");
  }

  @Test
  void retryableFailureOfAColdKeyIsCachedOnlyUntilTheNextBackoffAttempt() {
    cache =
        builder(provider, NO_JITTER)
            .retryBackoff(Duration.ofSeconds(2), Duration.ofMinutes(1))
            .build();
    provider.failAlways(ScriptedProvider.unavailable());

    assertThatThrownBy(() -> cache.fetch(target)).isInstanceOf(TokenException.class);
    clock.advance(Duration.ofMillis(1_999));
    assertThatThrownBy(() -> cache.fetch(target)).isInstanceOf(TokenException.class);
    assertThat(provider.calls()).isEqualTo(1);

    provider.succeed();
    clock.advance(Duration.ofMillis(1));
    assertThat(cache.fetch(target).password()).isEqualTo("pw-1");
    assertThat(provider.calls()).isEqualTo(2);
  }

  @Test
  void expiredCredentialIsNeverServedEvenWhenTheRefresherIsLate() {
    build(NO_JITTER);
    RegistryCredential first = cache.fetch(target);
    provider.failAlways(ScriptedProvider.unavailable());

    clock.set(
        Instant.ofEpochMilli(at(59 * MIN - 1))); // the scheduler never ran: no refresh happened
    assertThat(cache.fetch(target)).isSameAs(first);
    clock.set(Instant.ofEpochMilli(at(59 * MIN)));
    assertThatThrownBy(() -> cache.fetch(target))
        .isInstanceOf(TokenException.class)
        .extracting(e -> ((TokenException) e).reason())
        .isEqualTo(TokenException.Reason.SERVICE_UNAVAILABLE);

    provider.succeed();
    clock.advance(Duration.ofSeconds(1));
    assertThat(cache.fetch(target).password()).isEqualTo("pw-2");
  }

  @Test
  void providerMisbehaviourBecomesARetryableInvalidResponseWithoutLeakingItsMessage() {
    cache =
        builder(
                t -> {
                  throw new IllegalStateException("secret=hunter2");
                },
                NO_JITTER)
            .failureCacheTime(Duration.ZERO)
            .build();
    TokenException e = catchThrowableOfType(TokenException.class, () -> cache.fetch(target));
    assertThat(e.reason()).isEqualTo(TokenException.Reason.INVALID_RESPONSE);
    assertThat(e.isRetryable()).isTrue();
    assertThat(e.getMessage()).contains("IllegalStateException").doesNotContain("hunter2");
    assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
    cache.close();

    cache = builder(t -> null, NO_JITTER).build();
    assertThatThrownBy(() -> cache.fetch(target))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("returned no credential for personal in cn-hangzhou");
    cache.close();

    RegistryCredential nearlyExpired =
        new RegistryCredential(
            "u", "p", T0.plusSeconds(30), List.of("registry.cn-hangzhou.aliyuncs.com"));
    cache = builder(t -> nearlyExpired, NO_JITTER).build();
    assertThatThrownBy(() -> cache.fetch(target))
        .isInstanceOf(TokenException.class)
        .hasMessageContaining("inside the safety margin");
  }

  // --- listeners --------------------------------------------------------------------------------

  @Test
  void changeListenerHearsOnlyRealChangesAndAThrowingListenerBreaksNothing() {
    List<CredentialChange> seenAfterBadListener = new ArrayList<>();
    RegistryCredential fixed =
        new RegistryCredential("u", "same", T0.plus(Duration.ofHours(1)), List.of("r.example.com"));
    RegistryCredential[] next = {fixed};
    cache =
        CachingTokenProvider.builder(t -> next[0])
            .clock(clock)
            .scheduler(scheduler)
            .random(NO_JITTER)
            .listener(
                new CacheListener() {
                  @Override
                  public void credentialChanged(CredentialChange change) {
                    throw new IllegalStateException("listener bug");
                  }

                  @Override
                  public void refreshFailed(RefreshFailure failure) {
                    throw new IllegalStateException("listener bug");
                  }
                })
            .listener(CacheListener.onChange(seenAfterBadListener::add))
            .listener(recorder)
            .build();

    assertThat(cache.fetch(target)).isSameAs(fixed);
    assertThat(changes)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.target()).isEqualTo(target);
              assertThat(c.previous()).isEmpty();
              assertThat(c.current()).isSameAs(fixed);
            });

    next[0] = new RegistryCredential("u", "same", fixed.expiresAt(), fixed.domains());
    scheduler.advanceTo(at(45 * MIN)); // refresh returns an equal credential
    assertThat(changes).hasSize(1);

    RegistryCredential rotated =
        new RegistryCredential(
            "u", "rotated", T0.plus(Duration.ofHours(2)), List.of("r.example.com"));
    next[0] = rotated;
    scheduler.advance(Duration.ofMinutes(10));
    assertThat(changes).hasSize(2);
    assertThat(changes.get(1).previous()).contains(fixed);
    assertThat(changes.get(1).current()).isSameAs(rotated);
    assertThat(changes.get(1).toString()).doesNotContain("rotated").doesNotContain("same");
    assertThat(seenAfterBadListener).hasSize(2);
    assertThat(cache.fetch(target)).isSameAs(rotated);

    next[0] = null; // a failure reaches the listeners too, past the throwing one
    scheduler.advance(Duration.ofHours(1));
    assertThat(failures).isNotEmpty();
    assertThat(cache.fetch(target)).isSameAs(rotated);
  }

  @Test
  void listenerAddedToABuiltCacheHearsLaterOutcomesUntilRemoved() {
    build(NO_JITTER);
    cache.fetch(target); // pw-1, before the late listener exists
    List<CredentialChange> late = new ArrayList<>();
    List<RefreshFailure> lateFailures = new ArrayList<>();
    CacheListener lateListener = recording(late, lateFailures);
    cache.addListener(lateListener);

    scheduler.advanceTo(at(45 * MIN)); // pw-2
    assertThat(late)
        .singleElement()
        .satisfies(c -> assertThat(c.current().password()).isEqualTo("pw-2"));
    assertThat(late.get(0).previous())
        .hasValueSatisfying(p -> assertThat(p.password()).isEqualTo("pw-1"));
    assertThat(changes).hasSize(2); // the builder's listener still hears everything, first

    provider.failAlways(
        new TokenException(
            TokenException.Reason.SERVICE_UNAVAILABLE, "ServiceUnavailable", "down"));
    scheduler.advanceTo(at(90 * MIN));
    assertThat(lateFailures).isNotEmpty();
    int failuresSeen = lateFailures.size();

    assertThat(cache.removeListener(lateListener)).isTrue();
    assertThat(cache.removeListener(lateListener)).isFalse();
    assertThat(cache.removeListener(null)).isFalse();
    provider.succeed();
    scheduler.advance(Duration.ofMinutes(20));
    assertThat(changes).hasSize(3); // the rotation happened ...
    assertThat(late).hasSize(1); // ... but the removed listener did not hear it
    assertThat(lateFailures).hasSize(failuresSeen);
    assertThatThrownBy(() -> cache.addListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
  }

  // --- single flight with a refresh in progress -------------------------------------------------

  @Test
  void callersOfAKeyBeingRefreshedKeepTheValidTokenWithoutWaiting() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TokenProvider gated =
        t -> {
          if (provider.calls() == 1) {
            entered.countDown();
            await(release);
          }
          return provider.fetch(t);
        };
    cache = builder(gated, NO_JITTER).build();
    RegistryCredential first = cache.fetch(target);

    CompletableFuture<Void> refresher =
        CompletableFuture.runAsync(() -> scheduler.advanceTo(at(45 * MIN)));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    try {
      for (int i = 0; i < 100; i++) {
        RegistryCredential served =
            CompletableFuture.supplyAsync(() -> cache.fetch(target)).get(10, TimeUnit.SECONDS);
        assertThat(served).isSameAs(first);
      }
    } finally {
      release.countDown();
    }
    refresher.get(10, TimeUnit.SECONDS);
    assertThat(cache.fetch(target).password()).isEqualTo("pw-2");
    assertThat(provider.calls()).isEqualTo(2);
  }

  // --- invalidate and close ---------------------------------------------------------------------

  @Test
  void invalidateForgetsTheKeyAndItsScheduledRefresh() {
    build(NO_JITTER);
    cache.fetch(target);
    assertThat(scheduler.pending()).isEqualTo(1);

    cache.invalidate(target);
    assertThat(scheduler.pending()).isZero();
    assertThat(cache.nextRefresh(target)).isEmpty();
    scheduler.advance(Duration.ofHours(3));
    assertThat(provider.calls()).isEqualTo(1);

    assertThat(cache.fetch(target).password()).isEqualTo("pw-2");
    assertThat(changes.get(1).previous()).isEmpty();
  }

  @Test
  void keysAreMatchedByValueWhetherOrNotTheyAreAmongTheRecentlyUsedInstances() {
    build(NO_JITTER);
    List<RegistryTarget> keys = new ArrayList<>();
    List<RegistryCredential> first = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      keys.add(RegistryTarget.enterprise("cn-beijing", "cri-key" + i));
      first.add(cache.fetch(keys.get(i)));
    }
    for (int i = 0; i < 20; i++) {
      RegistryTarget sameInstance = keys.get(i);
      RegistryTarget equalCopy = RegistryTarget.enterprise("cn-beijing", "cri-key" + i);
      assertThat(cache.fetch(sameInstance)).isSameAs(first.get(i));
      assertThat(cache.fetch(equalCopy)).isSameAs(first.get(i));
    }
    assertThat(provider.calls()).isEqualTo(20);

    cache.invalidate(RegistryTarget.enterprise("cn-beijing", "cri-key0")); // an equal copy
    cache.invalidate(keys.get(15));
    assertThat(cache.fetch(keys.get(0))).isNotSameAs(first.get(0));
    assertThat(cache.fetch(keys.get(15))).isNotSameAs(first.get(15));
    assertThat(cache.fetch(keys.get(1))).isSameAs(first.get(1));
    assertThat(provider.calls()).isEqualTo(22);
  }

  @Test
  void closeStopsBackgroundWorkAndLaterFetchesFailClearly() {
    build(NO_JITTER);
    cache.fetch(target);

    cache.close();
    cache.close();

    assertThat(scheduler.isClosed()).isTrue();
    assertThat(scheduler.pending()).isZero();
    assertThatThrownBy(() -> cache.fetch(target))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed")
        .hasMessageContaining("personal in cn-hangzhou");
    scheduler.advance(Duration.ofHours(3));
    assertThat(provider.calls()).isEqualTo(1);
  }

  @Test
  void closeReleasesTheThreadTheCacheCreated() throws Exception {
    RefreshScheduler.OwnedScheduler own =
        (RefreshScheduler.OwnedScheduler) RefreshScheduler.owningThread();
    cache = CachingTokenProvider.builder(provider).clock(clock).scheduler(own).build();
    cache.fetch(target);
    assertThat(own.threads())
        .isNotEmpty()
        .allSatisfy(
            t -> {
              assertThat(t.isDaemon()).isTrue();
              assertThat(t.getName()).startsWith("acr-credential-cache-refresher-");
            });

    cache.close();

    for (Thread t : own.threads()) {
      t.join(10_000);
      assertThat(t.isAlive()).as("thread %s after close", t.getName()).isFalse();
    }
  }

  @Test
  void closeCancelsTasksOnABorrowedExecutorButLeavesItRunning() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    executor.setRemoveOnCancelPolicy(true);
    try {
      cache = CachingTokenProvider.builder(provider).clock(clock).executor(executor).build();
      cache.fetch(target);
      assertThat(executor.getQueue()).hasSize(1);

      cache.close();

      assertThat(executor.getQueue()).isEmpty();
      assertThat(executor.isShutdown()).isFalse();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void closeReleasesCallersWaitingForAFetch() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    cache =
        builder(
                t -> {
                  entered.countDown();
                  await(release);
                  return provider.fetch(t);
                },
                NO_JITTER)
            .build();
    CompletableFuture<RegistryCredential> owner =
        CompletableFuture.supplyAsync(() -> cache.fetch(target));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<RegistryCredential> waiter =
        CompletableFuture.supplyAsync(() -> cache.fetch(target));

    cache.close();

    ExecutionException e =
        catchThrowableOfType(ExecutionException.class, () -> waiter.get(10, TimeUnit.SECONDS));
    assertThat(e.getCause())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    release.countDown();
    assertThat(owner.get(10, TimeUnit.SECONDS).password()).isEqualTo("pw-1");
    assertThat(scheduler.pending()).isZero();
  }

  // --- bad input --------------------------------------------------------------------------------

  @Test
  void badSettingsAreRejectedWithTheirName() {
    assertThatThrownBy(() -> CachingTokenProvider.builder(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("delegate");
    CachingTokenProvider.Builder b = CachingTokenProvider.builder(provider);
    assertThatThrownBy(() -> b.refreshBeforeExpiry(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expiring-threshold");
    assertThatThrownBy(() -> b.refreshJitter(Duration.ofSeconds(-1)))
        .hasMessageContaining("refreshJitter");
    assertThatThrownBy(() -> b.retryBackoff(Duration.ofSeconds(10), Duration.ofSeconds(1)))
        .hasMessageContaining("shorter than the initial delay");
    assertThatThrownBy(() -> b.retryMultiplier(0.5)).hasMessageContaining("retryMultiplier");
    assertThatThrownBy(() -> b.retryJitter(1.5)).hasMessageContaining("retryJitter");
    assertThatThrownBy(() -> b.clock(null)).hasMessageContaining("clock must not be null");
    assertThatThrownBy(
            () ->
                CachingTokenProvider.builder(provider)
                    .refreshBeforeExpiry(Duration.ofMinutes(2))
                    .safetyMargin(Duration.ofMinutes(2))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("safetyMargin PT2M must be shorter than refreshBeforeExpiry");
    build(NO_JITTER);
    assertThatThrownBy(() -> cache.fetch(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("target must not be null");
  }

  // --- allocation
  // ---------------------------------------------------------------------------------

  @Test
  void readingAFreshTokenAllocatesNothing() {
    build(NO_JITTER);
    cache.fetch(target);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    RegistryCredential last = null;
    for (int i = 0; i < 20_000; i++) {
      last = cache.fetch(target);
    }
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 200_000; i++) {
      last = cache.fetch(target);
    }
    long allocated = threads.getThreadAllocatedBytes(id) - before;

    assertThat(last.password()).isEqualTo("pw-1");
    assertThat(allocated).as("bytes allocated by 200,000 cached reads").isLessThan(20_000);
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("latch not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
