package io.acrcredential.k8s;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenProvider;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A token provider the test controls: rotate on demand, count calls. */
final class FakeTokens implements TokenProvider {

  private final Map<RegistryTarget, AtomicInteger> generation = new ConcurrentHashMap<>();
  final AtomicInteger calls = new AtomicInteger();
  private final Instant base;

  FakeTokens() {
    this(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  /** Tokens expiring relative to {@code base}: two instances with one base give equal tokens. */
  FakeTokens(Instant base) {
    this.base = base;
  }

  @Override
  public RegistryCredential fetch(RegistryTarget target) {
    calls.incrementAndGet();
    int g = generation.computeIfAbsent(target, t -> new AtomicInteger(1)).get();
    return new RegistryCredential(
        "cr_temp_user",
        "pw-" + target.regionId() + "-" + g,
        base.plus(Duration.ofHours(1)).plusSeconds(g),
        target.domains().isEmpty() ? List.of(resolvedDomain(target)) : target.domains());
  }

  /**
   * The domain a target without explicit domains gets, like a provider resolving them at run time.
   */
  static String resolvedDomain(RegistryTarget target) {
    return "resolved-"
        + target.instanceId().orElse("personal")
        + "."
        + target.regionId()
        + ".example";
  }

  /** Makes the next fetch of every target return a new password. */
  void rotateAll() {
    generation.values().forEach(AtomicInteger::incrementAndGet);
  }

  String currentPassword(RegistryTarget target) {
    return "pw-" + target.regionId() + "-" + generation.get(target).get();
  }
}
