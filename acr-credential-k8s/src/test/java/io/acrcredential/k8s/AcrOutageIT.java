package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RefreshFailure;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.Failure;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.FakeIdentities;
import io.kubernetes.client.openapi.models.V1Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The fake ACR is unreachable, throttles, answers 5xx and answers too slowly, one after another,
 * for longer than the refresh window (40 s before expiry) but shorter than a token's life (60 s):
 * no pull Secret ever holds a token the registry would reject, the failures reach the cache's
 * listener, and the token is rotated as soon as ACR answers again.
 */
@WithKubeApiServer
class AcrOutageIT {

  private static final String AK = "LTAI5tOutageTestKey0001";
  private static final String SK = "outageSecretoutageSecret0";
  private static final String REGION = "cn-hangzhou";
  private static final String DOMAIN = "registry.cn-hangzhou.aliyuncs.com";
  private static final RegistryTarget TARGET =
      RegistryTarget.personal(REGION).withDomains(List.of(DOMAIN));
  private static final String SECRET = DockerConfig.secretName(DOMAIN);

  private final SyncFixture fx;

  AcrOutageIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  @Test
  void noSecretEverHoldsAnExpiredTokenThroughAnOutageLongerThanTheRefreshWindow() throws Exception {
    String inst = "outage-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      namespaces.add(fx.namespace("outage", Map.of("acr-test", inst)));
    }
    List<RefreshFailure> failures = new CopyOnWriteArrayList<>();
    List<CredentialChange> changes = new CopyOnWriteArrayList<>();
    try (FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK));
        AcrTokenProvider provider =
            AcrTokenProvider.builder()
                .credentials(AlibabaCredentials.accessKey(AK, SK))
                .endpoint("http://" + acr.endpoint())
                .readTimeout(Duration.ofSeconds(1))
                .build();
        CachingTokenProvider cache =
            CachingTokenProvider.builder(provider)
                .refreshBeforeExpiry(Duration.ofSeconds(40))
                .refreshJitter(Duration.ZERO)
                .safetyMargin(Duration.ofSeconds(5))
                .retryBackoff(Duration.ofMillis(500), Duration.ofSeconds(3))
                .listener(CacheListener.onFailure(failures::add))
                .listener(CacheListener.onChange(changes::add))
                .build();
        PullSecretSync sync =
            PullSecretSync.builder()
                .apiClient(fx.server.adminClient())
                .configuration(
                    SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), TARGET)
                        .toBuilder()
                        .expiringThreshold(Duration.ofSeconds(40))
                        .build())
                .tokenProvider(cache)
                .instanceName(inst)
                .build()) {
      acr.setTokenLifetime(Duration.ofSeconds(60));
      sync.start();
      for (String ns : namespaces) {
        await("first token in " + ns, () -> fx.password(ns, SECRET, DOMAIN) != null);
      }
      String firstPassword = fx.password(namespaces.get(0), SECRET, DOMAIN);
      Instant firstExpiry = acr.issuedTokens().get(0).expiresAt();

      // sample every Secret until the end: each must hold a token the registry accepts
      List<String> violations = new CopyOnWriteArrayList<>();
      Set<String> seenPasswords = java.util.Collections.synchronizedSet(new HashSet<>());
      AtomicBoolean sampling = new AtomicBoolean(true);
      Thread sampler =
          new Thread(
              () -> {
                while (sampling.get()) {
                  try {
                    for (String ns : namespaces) {
                      V1Secret s = fx.secret(ns, SECRET).orElseThrow();
                      DockerConfig.Auth auth =
                          DockerConfig.decode(s.getData().get(".dockerconfigjson"))
                              .auth(DOMAIN)
                              .orElseThrow();
                      seenPasswords.add(auth.password());
                      Instant now = Instant.now();
                      Instant expiresAt =
                          Instant.parse(
                              s.getMetadata()
                                  .getAnnotations()
                                  .get(PullSecretSync.EXPIRES_AT_ANNOTATION));
                      if (!expiresAt.isAfter(now)) {
                        violations.add(ns + ": expires-at " + expiresAt + " at " + now);
                      }
                      if (!acr.acceptsLogin(auth.username(), auth.password())) {
                        violations.add(ns + ": the registry rejects the stored token at " + now);
                      }
                    }
                    Thread.sleep(200);
                  } catch (InterruptedException e) {
                    return;
                  } catch (Exception e) {
                    if (!sampling.get()) {
                      return; // stopped on purpose: the interrupt broke off a read, not a finding
                    }
                    violations.add("sampling failed: " + e);
                  }
                }
              },
              "outage-sampler");
      sampler.start();
      try {
        // the outage: 4 kinds of failure, 11 s each, 44 s > the 40 s refresh window
        long outageStart = System.nanoTime();
        List<Failure> kinds =
            List.of(
                Failure.disconnect(),
                Failure.throttling(),
                Failure.serverError(503),
                Failure.delay(Duration.ofSeconds(3)));
        for (Failure kind : kinds) {
          acr.failAlways(FakeApi.PERSONAL_GET_AUTHORIZATION_TOKEN, kind);
          Thread.sleep(11_000);
        }
        acr.clearFailures();
        Duration outage = Duration.ofNanos(System.nanoTime() - outageStart);
        assertThat(Instant.now())
            .as("the outage ended before the first token expired")
            .isBefore(firstExpiry);

        Duration recovery =
            await(
                "a new token in every Secret",
                () -> {
                  for (String ns : namespaces) {
                    String p = fx.password(ns, SECRET, DOMAIN);
                    if (p == null || p.equals(firstPassword)) {
                      return false;
                    }
                  }
                  return true;
                });
        Thread.sleep(2000); // keep sampling past the first token's expiry
        System.out.printf(
            "[scale-faults] ACR outage of %d s (disconnect, throttling, 503, slow): %d failed"
                + " refreshes reported, new token in every Secret %d ms after ACR recovered, first"
                + " token expired at %s; %d distinct tokens seen in the Secrets, none expired or rejected%n",
            outage.toSeconds(),
            failures.size(),
            recovery.toMillis(),
            firstExpiry,
            seenPasswords.size());
      } finally {
        sampling.set(false);
        sampler.interrupt();
        sampler.join(5000);
      }
      assertThat(violations).isEmpty();
      assertThat(seenPasswords).hasSizeGreaterThanOrEqualTo(2);
      // the outage is visible to the embedder, with distinct reasons, and a valid token was
      // served during it
      assertThat(failures).isNotEmpty();
      assertThat(failures).allSatisfy(f -> assertThat(f.validCredentialHeld()).isTrue());
      Set<TokenException.Reason> reasons = new HashSet<>();
      failures.forEach(f -> reasons.add(f.exception().reason()));
      assertThat(reasons).hasSizeGreaterThanOrEqualTo(2);
      assertThat(changes).hasSizeGreaterThanOrEqualTo(2);
    }
  }
}
