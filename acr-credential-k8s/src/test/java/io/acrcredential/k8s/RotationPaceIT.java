package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HANGZHOU;
import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.SH;
import static io.acrcredential.k8s.SyncFixture.SHANGHAI;
import static io.acrcredential.k8s.SyncFixture.SH_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.models.V1Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A rotation on a slow configured write rate still reaches every Secret well before the old token
 * expires.
 *
 * <p>20 namespaces × 2 registries = 40 pull Secrets; tokens live 60 s (the second registry's 63 s,
 * so its renewal is a second rotation starting 3 s into the first) and are renewed 40 s before
 * expiry; the configured write rate is 1/s with a burst of 1. The rotation starts 40 s before the
 * old token expires and is meant to finish within half of that, 20 s. At the configured rate the 40
 * rewrites take about 40 s, so the last Secrets would get the new token only as the old one expires
 * (a little after it, with API latency): the assertion below (every Secret rewritten at least 10 s
 * before the old expiry) fails without the rate raise, and fails when each registry's rotation is
 * paced alone (20 Secrets each, so each alone seems to fit in the 40 s at 1/s). With both paced
 * together the sync writes at about 40 / 18.5 s and finishes well before the old expiry.
 */
@WithKubeApiServer
class RotationPaceIT {

  private static final Duration LIFETIME = Duration.ofSeconds(60);
  private static final Duration RENEW_BEFORE = Duration.ofSeconds(40);

  private final SyncFixture fx;

  RotationPaceIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  /** Issues 60 s tokens and a new one once the current one is within 40 s of expiry, per target. */
  private static final class ShortLivedTokens implements TokenProvider {
    private final Map<RegistryTarget, RegistryCredential> current = new ConcurrentHashMap<>();
    private final Map<RegistryTarget, Integer> generation = new ConcurrentHashMap<>();

    @Override
    public RegistryCredential fetch(RegistryTarget target) {
      return current.compute(
          target,
          (t, c) -> {
            Instant now = Instant.now();
            // one second early, so a refresh scheduled at exactly expiry - 40 s sees the new one
            if (c != null && now.isBefore(c.expiresAt().minus(RENEW_BEFORE).minusSeconds(1))) {
              return c;
            }
            int g = generation.merge(t, 1, Integer::sum);
            // the second registry's tokens live 3 s longer: its renewal comes after the first's,
            // as a separate refresh, while the first rotation's writes are under way
            Duration lifetime = t.equals(SH) ? LIFETIME.plusSeconds(3) : LIFETIME;
            return new RegistryCredential(
                "cr_temp_user", "pw-" + t.regionId() + "-" + g, now.plus(lifetime), t.domains());
          });
    }

    RegistryCredential peek(RegistryTarget target) {
      return current.get(target);
    }
  }

  @Test
  void rotationReachesEverySecretWithinHalfOfTheTimeLeft() throws Exception {
    String inst = "pace-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      namespaces.add(fx.namespace("pace", Map.of("acr-test", inst)));
    }
    AcrConfiguration config =
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH).toBuilder()
            .expiringThreshold(RENEW_BEFORE)
            .build();
    ShortLivedTokens tokens = new ShortLivedTokens();

    // First fill every namespace quickly with the first tokens: the initial rollout is not what is
    // measured here, and at 1/s it alone would take 40 s.
    try (PullSecretSync filler =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(config)
            .tokenProvider(tokens)
            .instanceName(inst)
            .writeRateLimit(500, 100)
            .build()) {
      filler.start();
      await("the first tokens in all 40 Secrets", () -> allHold(namespaces, tokens));
    }
    String oldHz = tokens.peek(HZ).password();
    String oldSh = tokens.peek(SH).password();
    Instant oldExpiry =
        tokens.peek(HZ).expiresAt().isBefore(tokens.peek(SH).expiresAt())
            ? tokens.peek(HZ).expiresAt()
            : tokens.peek(SH).expiresAt();

    // The sync under test: configured at 1 write/s. Its first snapshot matches what is stored, so
    // it writes nothing until the renewal 40 s before the old expiry.
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(config)
            .tokenProvider(tokens)
            .instanceName(inst)
            .writeRateLimit(1, 1)
            .build()) {
      sync.start();
      Instant rewrittenAt = null;
      Instant giveUp = oldExpiry.plusSeconds(5);
      while (Instant.now().isBefore(giveUp)) {
        if (noneHolds(namespaces, oldHz, oldSh)) {
          rewrittenAt = Instant.now();
          break;
        }
        Thread.sleep(100);
      }
      assertThat(rewrittenAt)
          .as("every Secret holds the new token (old token expires at %s)", oldExpiry)
          .isNotNull();
      Instant rotationStart = oldExpiry.minus(RENEW_BEFORE);
      System.out.printf(
          "[rotation-pace] 40 Secrets rewritten %d ms after the renewal point, %d ms before the"
              + " old token expired (configured 1 write/s)%n",
          Duration.between(rotationStart, rewrittenAt).toMillis(),
          Duration.between(rewrittenAt, oldExpiry).toMillis());
      assertThat(rewrittenAt)
          .as("rotation finished well before the old token's expiry %s", oldExpiry)
          .isBefore(oldExpiry.minusSeconds(10));
      // every Secret's expires-at annotation is the new token's, later than the old expiry
      for (String ns : namespaces) {
        for (String name : List.of(HZ_SECRET, SH_SECRET)) {
          V1Secret s = fx.secret(ns, name).orElseThrow();
          Instant annotated =
              Instant.parse(
                  s.getMetadata().getAnnotations().get(PullSecretSync.EXPIRES_AT_ANNOTATION));
          assertThat(annotated).as(ns + "/" + name).isAfter(oldExpiry);
        }
      }
    }
  }

  private boolean allHold(List<String> namespaces, ShortLivedTokens tokens) throws Exception {
    for (String ns : namespaces) {
      if (tokens.peek(HZ) == null || tokens.peek(SH) == null) {
        return false;
      }
      if (!tokens.peek(HZ).password().equals(fx.password(ns, HZ_SECRET, HANGZHOU))
          || !tokens.peek(SH).password().equals(fx.password(ns, SH_SECRET, SHANGHAI))) {
        return false;
      }
    }
    return true;
  }

  private boolean noneHolds(List<String> namespaces, String oldHz, String oldSh) throws Exception {
    for (String ns : namespaces) {
      String hz = fx.password(ns, HZ_SECRET, HANGZHOU);
      String sh = fx.password(ns, SH_SECRET, SHANGHAI);
      if (hz == null || sh == null || hz.equals(oldHz) || sh.equals(oldSh)) {
        return false;
      }
    }
    return true;
  }
}
