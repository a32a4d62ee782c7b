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
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The sync against a real kube-apiserver (with kube-controller-manager creating default SAs). */
@WithKubeApiServer
class PullSecretSyncIT {

  private final SyncFixture fx;

  PullSecretSyncIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  private static String instance(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

  @Test
  void newNamespaceGetsSecretsAndPatchedServiceAccountWithinASecond() throws Exception {
    String inst = instance("latency");
    FakeTokens tokens = new FakeTokens();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH))
            .tokenProvider(tokens)
            .instanceName(inst)
            .build()) {
      sync.start();
      await("sync ready", sync::isReady);
      List<Duration> latencies = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        long t0 = System.nanoTime();
        String ns = fx.namespace("lat", Map.of("acr-test", inst));
        await(
            "default SA in " + ns + " lists both pull Secrets",
            () ->
                fx.sa(ns, "default").isPresent()
                    && fx.pullSecrets(ns, "default").containsAll(List.of(HZ_SECRET, SH_SECRET)));
        latencies.add(Duration.ofNanos(System.nanoTime() - t0));
        assertThat(fx.password(ns, HZ_SECRET, HANGZHOU)).isEqualTo("pw-cn-hangzhou-1");
        assertThat(fx.password(ns, SH_SECRET, SHANGHAI)).isEqualTo("pw-cn-shanghai-1");
        V1Secret s = fx.secret(ns, HZ_SECRET).orElseThrow();
        assertThat(s.getType()).isEqualTo("kubernetes.io/dockerconfigjson");
        assertThat(s.getMetadata().getLabels())
            .containsEntry(PullSecretSync.MANAGED_LABEL, "true")
            .containsEntry(PullSecretSync.INSTANCE_LABEL, inst);
        assertThat(s.getMetadata().getAnnotations())
            .containsEntry(PullSecretSync.DOMAINS_ANNOTATION, HANGZHOU)
            .containsKey(PullSecretSync.EXPIRES_AT_ANNOTATION);
      }
      System.out.println(
          "[k8s-sync] new namespace -> default SA patched with both pull Secrets (incl. namespace"
              + " creation and kube-controller-manager creating the SA): "
              + latencies.stream().map(d -> d.toMillis() + " ms").toList());
      assertThat(latencies).allSatisfy(d -> assertThat(d).isLessThan(Duration.ofSeconds(5)));
      // one fetch per registry for all namespaces, not one per namespace
      assertThat(tokens.calls.get()).isLessThanOrEqualTo(4);
    }
  }

  @Test
  void userOwnedSecretWithTheSameNameIsLeftAloneAndReported() throws Exception {
    String inst = instance("clash");
    String ns = fx.namespace("clash", Map.of("acr-test", inst));
    V1Secret mine =
        fx.admin
            .createNamespacedSecret(
                ns,
                new V1Secret()
                    .metadata(new V1ObjectMeta().name(HZ_SECRET).labels(Map.of("owner", "me")))
                    .type("Opaque")
                    .data(Map.of("token", "user-data".getBytes(StandardCharsets.UTF_8))))
            .execute();
    fx.serviceAccount(ns, "app");
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("app")), HZ, SH))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .listener(rec)
            .build()) {
      sync.start();
      await(
          "the other pull Secret is added to SA app",
          () -> fx.pullSecrets(ns, "app").contains(SH_SECRET));
      await("the clash is reported", () -> !rec.clashes.isEmpty());
      assertThat(rec.clashes)
          .containsExactly(
              new SecretClash(ns, HZ_SECRET, "its type is not kubernetes.io/dockerconfigjson"));
      await(
          "a NameClash event on the user's Secret",
          () ->
              fx.admin.listNamespacedEvent(ns).execute().getItems().stream()
                  .anyMatch(
                      (CoreV1Event e) ->
                          "NameClash".equals(e.getReason())
                              && HZ_SECRET.equals(e.getInvolvedObject().getName())
                              && "Secret".equals(e.getInvolvedObject().getKind())));
      sync.credentialsChanged(); // another pass must not touch it either
      Thread.sleep(500);
      V1Secret after = fx.secret(ns, HZ_SECRET).orElseThrow();
      assertThat(after.getMetadata().getResourceVersion())
          .isEqualTo(mine.getMetadata().getResourceVersion());
      assertThat(after.getType()).isEqualTo("Opaque");
      assertThat(new String(after.getData().get("token"), StandardCharsets.UTF_8))
          .isEqualTo("user-data");
      assertThat(fx.pullSecrets(ns, "app")).containsExactly(SH_SECRET);
      long clashEvents =
          fx.admin.listNamespacedEvent(ns).execute().getItems().stream()
              .filter(e -> "NameClash".equals(e.getReason()))
              .count();
      assertThat(clashEvents).as("one event, not one per reconcile").isEqualTo(1);
    }
  }

  @Test
  void otherImagePullSecretsSurviveAConcurrentWriter() throws Exception {
    String inst = instance("conc");
    String ns = fx.namespace("conc", Map.of("acr-test", inst));
    fx.serviceAccount(ns, "app", "user-a", "user-b");
    FakeTokens tokens = new FakeTokens();
    RotationSignal signal = new RotationSignal();
    AtomicBoolean stop = new AtomicBoolean();
    List<String> writerEntries = new ArrayList<>();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.allServiceAccounts(), HZ, SH))
            .tokenProvider(tokens)
            .rotationSignal(signal)
            .instanceName(inst)
            .build()) {
      sync.start();
      // a concurrent writer adds entries of its own with optimistic concurrency while the sync
      // first adds its entries and then, after a scope change, removes and re-adds them
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; i < 25 && !stop.get(); i++) {
                  String name = "writer-" + i;
                  while (true) {
                    try {
                      V1ServiceAccount sa =
                          fx.admin.readNamespacedServiceAccount("app", ns).execute();
                      List<V1LocalObjectReference> refs =
                          new ArrayList<>(
                              sa.getImagePullSecrets() == null
                                  ? List.of()
                                  : sa.getImagePullSecrets());
                      refs.add(new V1LocalObjectReference().name(name));
                      sa.setImagePullSecrets(refs);
                      fx.admin.replaceNamespacedServiceAccount("app", ns, sa).execute();
                      synchronized (writerEntries) {
                        writerEntries.add(name);
                      }
                      break;
                    } catch (ApiException e) {
                      if (e.getCode() != 409) {
                        throw new IllegalStateException(e);
                      }
                    }
                  }
                }
              });
      writer.start();
      for (int round = 0; round < 3; round++) {
        sync.updateConfiguration(
            SyncFixture.config(inst, ServiceAccountScope.allServiceAccounts(), HZ));
        await(
            "only HZ listed",
            () ->
                !fx.pullSecrets(ns, "app").contains(SH_SECRET)
                    && fx.pullSecrets(ns, "app").contains(HZ_SECRET));
        sync.updateConfiguration(
            SyncFixture.config(inst, ServiceAccountScope.allServiceAccounts(), HZ, SH));
        await(
            "both listed",
            () -> fx.pullSecrets(ns, "app").containsAll(List.of(HZ_SECRET, SH_SECRET)));
      }
      writer.join(30_000);
      List<String> entries = fx.pullSecrets(ns, "app");
      assertThat(entries.subList(0, 2)).containsExactly("user-a", "user-b");
      assertThat(entries).containsAll(writerEntries).hasSize(2 + 25 + 2);
      assertThat(writerEntries).hasSize(25);
      // the writer's entries keep their relative order
      List<String> onlyWriter = entries.stream().filter(e -> e.startsWith("writer-")).toList();
      assertThat(onlyWriter).containsExactlyElementsOf(writerEntries);
    } finally {
      stop.set(true);
    }
  }

  @Test
  void tokenRotationReachesEveryNamespaceAndSteadyStateWritesNothing() throws Exception {
    String inst = instance("rot");
    List<String> namespaces = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      namespaces.add(fx.namespace("rot", Map.of("acr-test", inst)));
    }
    FakeTokens tokens = new FakeTokens();
    WriteCounter writes = new WriteCounter();
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    // no RotationSignal: given a CachingTokenProvider, the sync subscribes to it on start
    try (CachingTokenProvider cache =
            CachingTokenProvider.builder(tokens)
                .refreshBeforeExpiry(Duration.ofMinutes(15))
                .build();
        PullSecretSync sync =
            PullSecretSync.builder()
                .apiClient(fx.countingAdmin(writes))
                .configuration(
                    SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ, SH))
                .tokenProvider(cache)
                .instanceName(inst)
                .resyncPeriod(Duration.ofSeconds(1))
                .listener(rec)
                .build()) {
      sync.start();
      for (String ns : namespaces) {
        await(
            "namespace " + ns + " synced",
            () ->
                fx.password(ns, HZ_SECRET, HANGZHOU) != null
                    && fx.sa(ns, "default").isPresent()
                    && fx.pullSecrets(ns, "default").containsAll(List.of(HZ_SECRET, SH_SECRET)));
      }
      Thread.sleep(1500); // let the informers deliver the sync's own writes back
      // steady state: several resync passes over every namespace, zero writes
      writes.writes.clear();
      int before = rec.synced.size();
      Thread.sleep(3500);
      assertThat(rec.synced.size() - before)
          .as("resync passes reconciled the namespaces again")
          .isGreaterThanOrEqualTo(2 * namespaces.size());
      assertThat(writes.writes).as("write requests in steady state").isEmpty();

      // rotation: the cache learns of new tokens and tells the sync, its listener since start();
      // nothing else would refetch them before the 45 minutes the threshold leaves
      tokens.rotateAll();
      cache.invalidate(HZ);
      cache.invalidate(SH);
      cache.fetch(HZ);
      cache.fetch(SH);
      long t0 = System.nanoTime();
      for (String ns : namespaces) {
        await(
            "rotated password in " + ns,
            () ->
                "pw-cn-hangzhou-2".equals(fx.password(ns, HZ_SECRET, HANGZHOU))
                    && "pw-cn-shanghai-2".equals(fx.password(ns, SH_SECRET, SHANGHAI)));
      }
      System.out.println(
          "[k8s-sync] token rotation reached "
              + namespaces.size()
              + " namespaces in "
              + Duration.ofNanos(System.nanoTime() - t0).toMillis()
              + " ms; writes: "
              + writes.writes.size());
      assertThat(writes.writes)
          .as("exactly one update per Secret per namespace, nothing else")
          .hasSize(2 * namespaces.size())
          .allMatch(w -> w.startsWith("PUT ") && w.contains("/secrets/"));
    }
  }

  @Test
  void deletedOrEditedManagedSecretIsRepaired() throws Exception {
    String inst = instance("drift");
    String ns = fx.namespace("drift", Map.of("acr-test", inst));
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .build()) {
      sync.start();
      await("secret created", () -> fx.password(ns, HZ_SECRET, HANGZHOU) != null);
      String uid = fx.secret(ns, HZ_SECRET).orElseThrow().getMetadata().getUid();
      fx.admin.deleteNamespacedSecret(HZ_SECRET, ns).execute();
      Duration restore =
          await(
              "deleted secret restored",
              () ->
                  fx.secret(ns, HZ_SECRET)
                      .filter(s -> !s.getMetadata().getUid().equals(uid))
                      .isPresent());
      V1Secret s = fx.secret(ns, HZ_SECRET).orElseThrow();
      s.setData(Map.of(".dockerconfigjson", "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8)));
      fx.admin.replaceNamespacedSecret(HZ_SECRET, ns, s).execute();
      Duration repair =
          await(
              "edited secret repaired",
              () -> "pw-cn-hangzhou-1".equals(fx.password(ns, HZ_SECRET, HANGZHOU)));
      System.out.println(
          "[k8s-sync] drift repair: deleted Secret restored in "
              + restore.toMillis()
              + " ms, edited Secret repaired in "
              + repair.toMillis()
              + " ms");
    }
  }

  @Test
  void shrinkingScopeCleansUpOnlyOwnObjects() throws Exception {
    String inst = instance("shrink");
    String keep = fx.namespace("keep", Map.of("acr-test", inst));
    String leave = fx.namespace("leave", Map.of("acr-test", inst));
    fx.serviceAccount(leave, "app", "user-pull");
    fx.serviceAccount(keep, "app", "user-pull");
    V1Secret userSecret =
        fx.admin
            .createNamespacedSecret(
                leave,
                new V1Secret()
                    .metadata(new V1ObjectMeta().name("user-pull"))
                    .type("kubernetes.io/dockerconfigjson")
                    .data(
                        Map.of(
                            ".dockerconfigjson",
                            "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8))))
            .execute();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(
                SyncFixture.config(inst, ServiceAccountScope.named(Set.of("app")), HZ, SH))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .build()) {
      sync.start();
      for (String ns : List.of(keep, leave)) {
        await(
            "synced " + ns,
            () -> fx.pullSecrets(ns, "app").equals(List.of("user-pull", HZ_SECRET, SH_SECRET)));
      }
      // namespace leaves the scope (label removed)
      fx.label(leave, Map.of("other", "x"));
      await(
          "our Secrets gone from " + leave,
          () -> fx.secret(leave, HZ_SECRET).isEmpty() && fx.secret(leave, SH_SECRET).isEmpty());
      await(
          "our entries gone from SA in " + leave,
          () -> fx.pullSecrets(leave, "app").equals(List.of("user-pull")));
      assertThat(fx.secret(leave, "user-pull").orElseThrow().getMetadata().getResourceVersion())
          .isEqualTo(userSecret.getMetadata().getResourceVersion());
      // a registry leaves the scope
      sync.updateConfiguration(
          SyncFixture.config(inst, ServiceAccountScope.named(Set.of("app")), HZ));
      await("only HZ managed", () -> sync.managedSecretNames().equals(Set.of(HZ_SECRET)));
      await("SH Secret gone from " + keep, () -> fx.secret(keep, SH_SECRET).isEmpty());
      await(
          "the informer of the SH name stopped once its Secrets were gone",
          () -> sync.watchedSecretNames().equals(Set.of(HZ_SECRET)));
      await(
          "SH entry gone from SA in " + keep,
          () -> fx.pullSecrets(keep, "app").equals(List.of("user-pull", HZ_SECRET)));
      assertThat(fx.secret(keep, HZ_SECRET)).isPresent();
      assertThat(fx.sa(leave, "app").orElseThrow().getMetadata().getAnnotations())
          .doesNotContainKey("acr-credential.io/pull-secrets-" + inst);
    }
  }

  @Test
  void turningServiceAccountPatchingOffRemovesOnlyTheEntriesItAdded() throws Exception {
    String inst = instance("nopatch");
    String ns = fx.namespace("nopatch", Map.of("acr-test", inst));
    fx.serviceAccount(ns, "app", "user-pull");
    fx.serviceAccount(ns, "gitops", "user-pull");
    WriteCounter writes = new WriteCounter();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.countingAdmin(writes))
            .configuration(SyncFixture.config(inst, ServiceAccountScope.named(Set.of("app")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .resyncPeriod(Duration.ofSeconds(1))
            .build()) {
      sync.start();
      await("entry added", () -> fx.pullSecrets(ns, "app").equals(List.of("user-pull", HZ_SECRET)));
      // the user lists the pull Secret in the other ServiceAccount themselves (GitOps)
      V1ServiceAccount gitops = fx.sa(ns, "gitops").orElseThrow();
      gitops.setImagePullSecrets(
          List.of(
              new V1LocalObjectReference().name("user-pull"),
              new V1LocalObjectReference().name(HZ_SECRET)));
      fx.admin.replaceNamespacedServiceAccount("gitops", ns, gitops).execute();
      String gitopsVersion = fx.sa(ns, "gitops").orElseThrow().getMetadata().getResourceVersion();

      sync.updateConfiguration(
          SyncFixture.config(
              inst, ServiceAccountScope.named(Set.of("app", "gitops")).withoutPatching(), HZ));
      await("own entry removed", () -> fx.pullSecrets(ns, "app").equals(List.of("user-pull")));
      assertThat(fx.sa(ns, "app").orElseThrow().getMetadata().getAnnotations())
          .doesNotContainKey("acr-credential.io/pull-secrets-" + inst);
      assertThat(fx.secret(ns, HZ_SECRET)).as("the Secret itself stays").isPresent();
      Thread.sleep(1500); // resync passes
      writes.writes.clear();
      Thread.sleep(2500);
      assertThat(writes.writes).as("writes once the own entries are gone").isEmpty();
      assertThat(fx.sa(ns, "gitops").orElseThrow().getMetadata().getResourceVersion())
          .as("a ServiceAccount whose entries the sync did not add is never written")
          .isEqualTo(gitopsVersion);
      assertThat(fx.pullSecrets(ns, "gitops")).containsExactly("user-pull", HZ_SECRET);
    }
  }
}
