package io.acrcredential.core;

import io.acrcredential.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A provider that issues a new credential (password {@code pw-N}) valid for a fixed lifetime from
 * the fake clock, unless a failure function says otherwise. Records when it was called.
 */
final class ScriptedProvider implements TokenProvider {

  private final FakeClock clock;
  private final Duration lifetime;
  private final AtomicInteger counter = new AtomicInteger();
  private final List<Long> callTimes = Collections.synchronizedList(new ArrayList<>());
  private volatile Function<Long, TokenException> failure = now -> null;
  private volatile long lastIssuedExpiry = Long.MIN_VALUE;

  ScriptedProvider(FakeClock clock, Duration lifetime) {
    this.clock = clock;
    this.lifetime = lifetime;
  }

  /**
   * From now on, fail with the exception the function returns for the current time (or succeed).
   */
  void failWhen(Function<Long, TokenException> failure) {
    this.failure = failure;
  }

  void failAlways(TokenException e) {
    failWhen(now -> e);
  }

  void succeed() {
    failWhen(now -> null);
  }

  @Override
  public RegistryCredential fetch(RegistryTarget target) {
    long now = clock.millis();
    callTimes.add(now);
    TokenException e = failure.apply(now);
    if (e != null) {
      throw e;
    }
    Instant expiry = Instant.ofEpochMilli(now).plus(lifetime);
    lastIssuedExpiry = expiry.toEpochMilli();
    return new RegistryCredential(
        "cr_temp_user",
        "pw-" + counter.incrementAndGet(),
        expiry,
        List.of("registry.cn-hangzhou.aliyuncs.com"));
  }

  /** Expiry of the newest credential handed out, in epoch millis. */
  long lastIssuedExpiry() {
    return lastIssuedExpiry;
  }

  int calls() {
    return callTimes.size();
  }

  List<Long> callTimes() {
    synchronized (callTimes) {
      return List.copyOf(callTimes);
    }
  }

  static TokenException unavailable() {
    return new TokenException(
        TokenException.Reason.SERVICE_UNAVAILABLE, "ServiceUnavailable", "service unavailable");
  }

  static TokenException forbidden() {
    return new TokenException(
        TokenException.Reason.PERMISSION_DENIED,
        "Forbidden.RAM",
        "the RAM identity lacks cr:GetAuthorizationToken");
  }
}
