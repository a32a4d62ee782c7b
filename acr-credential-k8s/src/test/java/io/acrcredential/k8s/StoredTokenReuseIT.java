package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HANGZHOU;
import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.SH;
import static io.acrcredential.k8s.SyncFixture.SHANGHAI;
import static io.acrcredential.k8s.SyncFixture.SH_SECRET;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeIdentities;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The managed Secrets are the token cache of a restart: a sync started again (a rolling update, a
 * failover) over fresh stored tokens asks the fake ACR for nothing and writes nothing (every
 * Secret's and ServiceAccount's resourceVersion stays); a stored token near expiry, tampered,
 * inconsistent between namespaces, or in a Secret this instance does not own is fetched anew.
 */
@WithKubeApiServer
class StoredTokenReuseIT {

  private static final String AK = "LTAI5tReuseTestKey00001";
  private static final String SK = "reuseSecretreuseSecret000";

  private final SyncFixture fx;

  StoredTokenReuseIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  /** One refresher run: its own ACR client and cache, as a new process would have. */
  private final class Run implements AutoCloseable {
    final AcrTokenProvider provider;
    final CachingTokenProvider cache;
    final WriteCounter writes = new WriteCounter();
    final SyncFixture.Recorder recorder = new SyncFixture.Recorder();
    final PullSecretSync sync;

    Run(FakeAcr acr, String inst, AcrConfiguration config, boolean reuse) {
      provider =
          AcrTokenProvider.builder()
              .credentials(AlibabaCredentials.accessKey(AK, SK))
              .endpoint("http://" + acr.endpoint())
              .build();
      cache =
          CachingTokenProvider.builder(provider)
              .refreshBeforeExpiry(config.expiringThreshold())
              .build();
      sync =
          PullSecretSync.builder()
              .apiClient(fx.countingAdmin(writes))
              .configuration(config)
              .tokenProvider(cache)
              .instanceName(inst)
              .listener(recorder)
              .reuseStoredTokens(reuse)
              .build();
      sync.start();
    }

    /** Waits until every namespace was reconciled at least once by this run. */
    void awaitReconciled(List<String> namespaces) throws Exception {
      await(
          "every namespace reconciled",
          () ->
              recorder.synced.stream()
                  .map(NamespaceSyncResult::namespace)
                  .collect(java.util.stream.Collectors.toSet())
                  .containsAll(namespaces));
    }

    @Override
    public void close() {
      sync.close();
      cache.close();
      provider.close();
    }
  }

  private static AcrConfiguration config(String inst, Duration threshold) {
    return SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH)
        .toBuilder()
        .expiringThreshold(threshold)
        .build();
  }

  private List<String> namespaces(String inst, int n) throws Exception {
    List<String> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(fx.namespace("reuse", Map.of("acr-test", inst)));
    }
    return list;
  }

  /** Runs a first sync until every namespace holds both Secrets, then stops it. */
  private void firstRun(FakeAcr acr, String inst, AcrConfiguration config, List<String> nss)
      throws Exception {
    try (Run first = new Run(acr, inst, config, true)) {
      for (String ns : nss) {
        await(
            "Secrets in " + ns,
            () ->
                fx.password(ns, HZ_SECRET, HANGZHOU) != null
                    && fx.password(ns, SH_SECRET, SHANGHAI) != null
                    && fx.pullSecrets(ns, "default").containsAll(List.of(HZ_SECRET, SH_SECRET)));
      }
      first.awaitReconciled(nss);
    }
  }

  /** resourceVersion of every Secret and ServiceAccount the sync manages in the namespaces. */
  private Map<String, String> versions(List<String> nss) throws Exception {
    Map<String, String> v = new LinkedHashMap<>();
    for (String ns : nss) {
      for (String name : List.of(HZ_SECRET, SH_SECRET)) {
        v.put(
            ns + "/" + name, fx.secret(ns, name).orElseThrow().getMetadata().getResourceVersion());
      }
      v.put(ns + "/sa", fx.sa(ns, "default").orElseThrow().getMetadata().getResourceVersion());
    }
    return v;
  }

  @Test
  void aRestartOverFreshStoredTokensMakesNoAcrCallAndNoWrite_withoutReuseItRewritesEverything()
      throws Exception {
    String inst = "reuse-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> nss = namespaces(inst, 4);
    AcrConfiguration config = config(inst, Duration.ofMinutes(15));
    try (FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK))) {
      firstRun(acr, inst, config, nss);
      int issued = acr.issuedTokens().size();
      assertThat(issued).isEqualTo(2);
      Map<String, String> before = versions(nss);

      try (Run restart = new Run(acr, inst, config, true)) {
        restart.awaitReconciled(nss);
        assertThat(restart.sync.isReady()).isTrue();
        assertThat(acr.issuedTokens()).as("ACR calls on restart").hasSize(issued);
        assertThat(restart.writes.writes).as("writes on restart").isEmpty();
        assertThat(versions(nss)).isEqualTo(before);
      }

      // the same restart with the reuse switched off: what every restart cost before
      try (Run baseline = new Run(acr, inst, config, false)) {
        for (String ns : nss) {
          await(
              "new token in " + ns,
              () ->
                  !before
                      .get(ns + "/" + HZ_SECRET)
                      .equals(
                          fx.secret(ns, HZ_SECRET)
                              .orElseThrow()
                              .getMetadata()
                              .getResourceVersion()));
        }
        baseline.awaitReconciled(nss);
        assertThat(acr.issuedTokens()).hasSize(issued + 2);
        assertThat(baseline.writes.writes.stream().filter(w -> w.contains("/secrets/")))
            .hasSize(2 * nss.size());
      }
    }
  }

  @Test
  void aStoredTokenWithinTheRenewalThresholdIsFetchedAnew() throws Exception {
    String inst = "near-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> nss = namespaces(inst, 3);
    try (FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK))) {
      acr.setTokenLifetime(Duration.ofMinutes(30));
      firstRun(acr, inst, config(inst, Duration.ofMinutes(15)), nss);
      assertThat(acr.issuedTokens()).hasSize(2);

      // 30 minutes left is within a 40-minute renewal threshold
      acr.setTokenLifetime(Duration.ofHours(1));
      try (Run restart = new Run(acr, inst, config(inst, Duration.ofMinutes(40)), true)) {
        await("two new tokens", () -> acr.issuedTokens().size() >= 4);
        assertEveryNamespaceHoldsTheLatest(acr, nss, HZ_SECRET, HANGZHOU);
        assertEveryNamespaceHoldsTheLatest(acr, nss, SH_SECRET, SHANGHAI);
        restart.awaitReconciled(nss);
      }
    }
  }

  /** Ways a stored token can be wrong; each one is applied to the Hangzhou Secret. */
  enum Tamper {
    NOT_A_DOCKER_CONFIG(
        true,
        s ->
            s.setData(
                Map.of(
                    ".dockerconfigjson",
                    "{\"hello\":\"world\"}".getBytes(StandardCharsets.UTF_8)))),
    ANOTHER_DOMAIN(true, s -> s.setData(Map.of(".dockerconfigjson", login(SHANGHAI, "pw-x")))),
    TWO_KEYS(
        true,
        s -> {
          Map<String, byte[]> d = new HashMap<>(s.getData());
          d.put("extra", new byte[] {1});
          s.setData(d);
        }),
    EXPIRY_MISSING(true, s -> s.getMetadata().getAnnotations().remove(Markers.EXPIRES_ANNOTATION)),
    EXPIRY_INVALID(
        true, s -> s.getMetadata().getAnnotations().put(Markers.EXPIRES_ANNOTATION, "tomorrow")),
    EXPIRY_PAST(
        true,
        s ->
            s.getMetadata()
                .getAnnotations()
                .put(Markers.EXPIRES_ANNOTATION, Instant.now().minusSeconds(5).toString())),
    EXPIRY_FAR_AHEAD(
        true,
        s ->
            s.getMetadata()
                .getAnnotations()
                .put(
                    Markers.EXPIRES_ANNOTATION,
                    Instant.now().plus(Duration.ofDays(30)).toString())),
    DOMAINS_ANNOTATION_WRONG(
        true, s -> s.getMetadata().getAnnotations().put(Markers.DOMAINS_ANNOTATION, SHANGHAI)),
    OTHER_LOGIN_IN_ONE_NAMESPACE(
        false, s -> s.setData(Map.of(".dockerconfigjson", login(HANGZHOU, "someone-elses")))),
    ;

    final boolean everywhere;
    final Consumer<V1Secret> edit;

    Tamper(boolean everywhere, Consumer<V1Secret> edit) {
      this.everywhere = everywhere;
      this.edit = edit;
    }
  }

  private static byte[] login(String domain, String password) {
    return DockerConfig.encode(
        new RegistryCredential(
            "cr_temp_user", password, Instant.now().plusSeconds(3000), List.of(domain)));
  }

  @ParameterizedTest
  @EnumSource(Tamper.class)
  void aTamperedStoredTokenIsFetchedAnewTheOthersAreKept(Tamper tamper) throws Exception {
    String inst = "tamper-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> nss = namespaces(inst, 3);
    AcrConfiguration config = config(inst, Duration.ofMinutes(15));
    try (FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK))) {
      firstRun(acr, inst, config, nss);
      assertThat(acr.issuedTokens()).hasSize(2);
      for (String ns : tamper.everywhere ? nss : nss.subList(0, 1)) {
        V1Secret s = fx.secret(ns, HZ_SECRET).orElseThrow();
        tamper.edit.accept(s);
        fx.admin.replaceNamespacedSecret(HZ_SECRET, ns, s).execute();
      }
      Map<String, String> shanghaiBefore = new HashMap<>();
      for (String ns : nss) {
        shanghaiBefore.put(
            ns, fx.secret(ns, SH_SECRET).orElseThrow().getMetadata().getResourceVersion());
      }

      try (Run restart = new Run(acr, inst, config, true)) {
        await("a new Hangzhou token", () -> acr.issuedTokens().size() >= 3);
        assertEveryNamespaceHoldsTheLatest(acr, nss, HZ_SECRET, HANGZHOU);
        restart.awaitReconciled(nss);
        assertThat(acr.issuedTokens()).hasSize(3); // Shanghai's stored token was used
        for (String ns : nss) {
          assertThat(fx.secret(ns, SH_SECRET).orElseThrow().getMetadata().getResourceVersion())
              .isEqualTo(shanghaiBefore.get(ns));
        }
      }
    }
  }

  @Test
  void storedTokensOutsideTheCurrentScopeAreNeverUsed() throws Exception {
    // another installation of the same instance name, serving other namespaces (possibly with
    // another identity), must not lend this one its tokens
    String inst = "scope-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> theirs = namespaces(inst, 2);
    String mine = inst + "-b";
    List<String> ours = namespaces(mine, 2);
    try (FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK))) {
      firstRun(acr, inst, config(inst, Duration.ofMinutes(15)), theirs);
      int issued = acr.issuedTokens().size();
      assertThat(issued).isEqualTo(2);
      String theirPassword = fx.password(theirs.get(0), HZ_SECRET, HANGZHOU);

      try (Run other = new Run(acr, inst, config(mine, Duration.ofMinutes(15)), true)) {
        for (String ns : ours) {
          await("Secrets in " + ns, () -> fx.password(ns, HZ_SECRET, HANGZHOU) != null);
        }
        other.awaitReconciled(ours);
        assertThat(acr.issuedTokens()).as("tokens fetched for the own scope").hasSize(issued + 2);
        for (String ns : ours) {
          assertThat(fx.password(ns, HZ_SECRET, HANGZHOU)).isNotEqualTo(theirPassword);
        }
      }
    }
  }

  @Test
  void aSecretOfTheSameNameThatIsNotOursIsNeverUsedNorWritten() throws Exception {
    String inst = "foreign-" + UUID.randomUUID().toString().substring(0, 6);
    List<String> nss = namespaces(inst, 3);
    AcrConfiguration config = config(inst, Duration.ofMinutes(15));
    try (FakeAcr acr = FakeAcr.start(new FakeIdentities().addAccessKey(AK, SK))) {
      firstRun(acr, inst, config, nss);
      // every Hangzhou Secret replaced by one that looks like ours but belongs to another instance
      Map<String, String> foreign = new HashMap<>();
      for (String ns : nss) {
        V1Secret mine = fx.secret(ns, HZ_SECRET).orElseThrow();
        fx.admin.deleteNamespacedSecret(HZ_SECRET, ns).execute();
        Map<String, String> labels = new HashMap<>(mine.getMetadata().getLabels());
        labels.put(Markers.INSTANCE_LABEL, "someone-else");
        V1Secret theirs =
            new V1Secret()
                .metadata(
                    new V1ObjectMeta()
                        .name(HZ_SECRET)
                        .labels(labels)
                        .annotations(
                            Map.of(
                                Markers.EXPIRES_ANNOTATION,
                                Instant.now().plusSeconds(3000).toString(),
                                Markers.DOMAINS_ANNOTATION,
                                HANGZHOU)))
                .type("kubernetes.io/dockerconfigjson")
                .data(Map.of(".dockerconfigjson", login(HANGZHOU, "theirs")));
        foreign.put(
            ns,
            fx.admin
                .createNamespacedSecret(ns, theirs)
                .execute()
                .getMetadata()
                .getResourceVersion());
      }

      try (Run restart = new Run(acr, inst, config, true)) {
        await("a new Hangzhou token", () -> acr.issuedTokens().size() >= 3);
        await("the clashes reported", () -> restart.recorder.clashes.size() >= nss.size());
        restart.awaitReconciled(nss);
        assertThat(acr.issuedTokens()).hasSize(3);
        for (String ns : nss) {
          V1Secret s = fx.secret(ns, HZ_SECRET).orElseThrow();
          assertThat(s.getMetadata().getResourceVersion()).isEqualTo(foreign.get(ns));
          assertThat(fx.password(ns, HZ_SECRET, HANGZHOU)).isEqualTo("theirs");
        }
      }
    }
  }

  private void assertEveryNamespaceHoldsTheLatest(
      FakeAcr acr, List<String> nss, String secret, String domain) throws Exception {
    for (String ns : nss) {
      await(
          "the newest token in " + ns + "/" + secret,
          () -> {
            V1Secret s = fx.secret(ns, secret).orElseThrow();
            DockerConfig.Auth auth;
            try {
              auth = DockerConfig.decode(s.getData().get(".dockerconfigjson")).auth(domain).get();
            } catch (RuntimeException notYet) {
              return false; // still the tampered content
            }
            List<IssuedToken> all = acr.issuedTokens();
            return all.subList(2, all.size()).stream()
                    .anyMatch(t -> t.password().equals(auth.password()))
                && acr.acceptsLogin(auth.username(), auth.password());
          });
    }
  }
}
