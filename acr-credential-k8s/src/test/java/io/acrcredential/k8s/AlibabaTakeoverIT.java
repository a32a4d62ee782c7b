package io.acrcredential.k8s;

import static io.acrcredential.k8s.SyncFixture.HANGZHOU;
import static io.acrcredential.k8s.SyncFixture.HZ;
import static io.acrcredential.k8s.SyncFixture.HZ_SECRET;
import static io.acrcredential.k8s.SyncFixture.SHANGHAI;
import static io.acrcredential.k8s.SyncFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Switching from Alibaba's helper on a real kube-apiserver: its Secrets are taken over in the same
 * reconcile, anything else under their names is a clash that is reported and never written.
 */
@WithKubeApiServer
class AlibabaTakeoverIT {

  private final SyncFixture fx;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger reconcilerLogger =
      (Logger) LoggerFactory.getLogger(NamespaceReconciler.class);

  AlibabaTakeoverIT(LocalKubeApiServer server) {
    this.fx = new SyncFixture(server);
  }

  @BeforeEach
  void captureLog() {
    log.start();
    reconcilerLogger.addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    reconcilerLogger.detachAppender(log);
  }

  private static String instance(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

  /** What Alibaba's helper leaves: a temporary login for the one domain. */
  static byte[] alibabaConfig(String domain, String password) {
    String auth =
        Base64.getEncoder()
            .encodeToString(("cr_temp_user:" + password).getBytes(StandardCharsets.UTF_8));
    return ("{\"auths\":{\""
            + domain
            + "\":{\"username\":\"cr_temp_user\",\"password\":\""
            + password
            + "\",\"auth\":\""
            + auth
            + "\"}}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private V1Secret secret(String ns, String type, Map<String, byte[]> data, Map<String, String> l)
      throws Exception {
    return fx.admin
        .createNamespacedSecret(
            ns,
            new V1Secret()
                .metadata(new V1ObjectMeta().name(HZ_SECRET).labels(l))
                .type(type)
                .data(data))
        .execute();
  }

  private V1Secret alibabaSecret(String ns) throws Exception {
    return secret(
        ns,
        "kubernetes.io/dockerconfigjson",
        Map.of(".dockerconfigjson", alibabaConfig(HANGZHOU, "old-alibaba-token")),
        null);
  }

  @Test
  void alibabasSecretIsTakenOverInTheSameReconcile() throws Exception {
    String inst = instance("takeover");
    String ns = fx.namespace("takeover", Map.of("acr-test", inst));
    V1Secret before = alibabaSecret(ns);
    // Alibaba's helper listed its Secret in the ServiceAccount; the user has an entry of their own
    fx.serviceAccount(ns, "app", "user-pull", HZ_SECRET);
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    FakeTokens tokens = new FakeTokens();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(SyncFixture.config(inst, ServiceAccountScope.named(Set.of("app")), HZ))
            .tokenProvider(tokens)
            .instanceName(inst)
            .listener(rec)
            .build()) {
      sync.start();
      await(
          "the Secret holds the fresh login",
          () -> "pw-cn-hangzhou-1".equals(fx.password(ns, HZ_SECRET, HANGZHOU)));
      V1Secret after = fx.secret(ns, HZ_SECRET).orElseThrow();
      assertThat(after.getMetadata().getUid())
          .as("rewritten in place, not deleted and created")
          .isEqualTo(before.getMetadata().getUid());
      assertThat(after.getMetadata().getLabels())
          .containsEntry(PullSecretSync.MANAGED_LABEL, "true")
          .containsEntry(PullSecretSync.INSTANCE_LABEL, inst);
      assertThat(after.getMetadata().getAnnotations())
          .containsEntry(PullSecretSync.DOMAINS_ANNOTATION, HANGZHOU)
          .containsKey(PullSecretSync.EXPIRES_AT_ANNOTATION)
          .containsEntry(PullSecretSync.TAKEN_OVER_ANNOTATION, "aliyun-acr-credential-helper");
      await(
          "the ServiceAccount entry is recorded as this instance's",
          () ->
              HZ_SECRET.equals(
                  fx.sa(ns, "app")
                      .orElseThrow()
                      .getMetadata()
                      .getAnnotations()
                      .get("acr-credential.io/pull-secrets-" + inst)));
      assertThat(fx.pullSecrets(ns, "app")).containsExactly("user-pull", HZ_SECRET);
      await(
          "the result names the take-over",
          () ->
              rec.synced.stream()
                  .anyMatch(
                      r ->
                          r.namespace().equals(ns)
                              && r.secretsTakenOver().equals(List.of(HZ_SECRET))));
      assertThat(rec.clashes).isEmpty();
      assertThat(rec.synced.stream().filter(r -> r.namespace().equals(ns)))
          .allSatisfy(r -> assertThat(r.secretsCreated()).isEmpty());
      assertThat(messages())
          .anyMatch(m -> m.startsWith("took over Secret " + ns + "/" + HZ_SECRET))
          .noneMatch(m -> m.contains("old-alibaba-token") || m.contains("pw-cn-hangzhou"));

      // it is now this instance's: leaving the scope removes the Secret and the adopted entry
      fx.label(ns, Map.of("other", "x"));
      await("the taken-over Secret is deleted", () -> fx.secret(ns, HZ_SECRET).isEmpty());
      await(
          "its entry leaves the ServiceAccount, the user's stays",
          () -> fx.pullSecrets(ns, "app").equals(List.of("user-pull")));
    }
  }

  @Test
  void everythingElseUnderTheNameIsAClashNeverWritten() throws Exception {
    String inst = instance("clashes");
    Map<String, String> scope = Map.of("acr-test", inst);
    byte[] sh = alibabaConfig(SHANGHAI, "x");
    String both =
        "{\"auths\":{\""
            + HANGZHOU
            + "\":{\"username\":\"cr_temp_user\",\"password\":\"a\"},\""
            + SHANGHAI
            + "\":{\"username\":\"cr_temp_user\",\"password\":\"b\"}}}";
    String users =
        "{\"auths\":{\"" + HANGZHOU + "\":{\"username\":\"dev@1234567\",\"password\":\"mine\"}}}";
    Map<String, V1Secret> cases = new LinkedHashMap<>();
    Map<String, String> reasons = new LinkedHashMap<>();
    String ns = fx.namespace("other-domain", scope);
    cases.put(
        ns, secret(ns, "kubernetes.io/dockerconfigjson", Map.of(".dockerconfigjson", sh), null));
    reasons.put(ns, "another registry");
    ns = fx.namespace("other-type", scope);
    cases.put(
        ns, secret(ns, "Opaque", Map.of(".dockerconfigjson", alibabaConfig(HANGZHOU, "x")), null));
    reasons.put(ns, "type");
    ns = fx.namespace("extra-auths", scope);
    cases.put(
        ns,
        secret(
            ns,
            "kubernetes.io/dockerconfigjson",
            Map.of(".dockerconfigjson", both.getBytes(StandardCharsets.UTF_8)),
            null));
    reasons.put(ns, "2 registries");
    ns = fx.namespace("users-own", scope);
    cases.put(
        ns,
        secret(
            ns,
            "kubernetes.io/dockerconfigjson",
            Map.of(".dockerconfigjson", users.getBytes(StandardCharsets.UTF_8)),
            null));
    reasons.put(ns, "user's own");
    ns = fx.namespace("users-extra-key", scope);
    cases.put(
        ns,
        secret(
            ns,
            "kubernetes.io/dockerconfigjson",
            Map.of(
                ".dockerconfigjson",
                alibabaConfig(HANGZHOU, "x"),
                "notes",
                "mine".getBytes(StandardCharsets.UTF_8)),
            null));
    reasons.put(ns, "exactly one");
    ns = fx.namespace("other-instance", scope);
    cases.put(
        ns,
        secret(
            ns,
            "kubernetes.io/dockerconfigjson",
            Map.of(".dockerconfigjson", alibabaConfig(HANGZHOU, "x")),
            Map.of(PullSecretSync.MANAGED_LABEL, "true", PullSecretSync.INSTANCE_LABEL, "other")));
    reasons.put(ns, "another instance");
    ns = fx.namespace("unparsable", scope);
    // the API server only accepts JSON objects under this type (AlibabaSecretTest covers the rest)
    cases.put(
        ns,
        secret(
            ns,
            "kubernetes.io/dockerconfigjson",
            Map.of(".dockerconfigjson", "{\"auths\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
            null));
    reasons.put(ns, "not a Docker config");
    for (String n : cases.keySet()) {
      fx.serviceAccount(n, "app", HZ_SECRET);
    }

    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(SyncFixture.config(inst, ServiceAccountScope.named(Set.of("app")), HZ))
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .listener(rec)
            .build()) {
      sync.start();
      await("every clash is reported", () -> rec.clashes.size() >= cases.size());
      Map<String, SecretClash> byNs =
          rec.clashes.stream().collect(Collectors.toMap(SecretClash::namespace, c -> c));
      assertThat(byNs.keySet()).containsExactlyInAnyOrderElementsOf(cases.keySet());
      for (Map.Entry<String, String> r : reasons.entrySet()) {
        assertThat(byNs.get(r.getKey()).reason()).as(r.getKey()).contains(r.getValue());
        assertThat(byNs.get(r.getKey()).secretName()).isEqualTo(HZ_SECRET);
      }
      for (String n : cases.keySet()) {
        await(
            "a NameClash event in " + n,
            () ->
                fx.admin.listNamespacedEvent(n).execute().getItems().stream()
                    .anyMatch(
                        (CoreV1Event e) ->
                            "NameClash".equals(e.getReason())
                                && HZ_SECRET.equals(e.getInvolvedObject().getName())
                                && e.getMessage().contains(byNs.get(n).reason())));
        assertThat(messages())
            .as("a log line for " + n)
            .anyMatch(m -> m.startsWith("Secret " + n + "/" + HZ_SECRET + " has the name"));
      }
      sync.credentialsChanged(); // another pass must not touch them either
      Thread.sleep(1000);
      for (Map.Entry<String, V1Secret> c : cases.entrySet()) {
        V1Secret now = fx.secret(c.getKey(), HZ_SECRET).orElseThrow();
        assertThat(now.getMetadata().getResourceVersion())
            .as("never written: " + c.getKey())
            .isEqualTo(c.getValue().getMetadata().getResourceVersion());
        assertThat(fx.sa(c.getKey(), "app").orElseThrow().getMetadata().getAnnotations())
            .as("no entry of a clash is recorded as ours: " + c.getKey())
            .doesNotContainKey("acr-credential.io/pull-secrets-" + inst);
      }
      assertThat(rec.synced.stream().filter(r -> cases.containsKey(r.namespace())))
          .isNotEmpty()
          .allSatisfy(r -> assertThat(r.secretsTakenOver()).isEmpty());
    }
  }

  @Test
  void takingOverTurnedOffLeavesAlibabasSecretAsAClash() throws Exception {
    String inst = instance("nottaken");
    String ns = fx.namespace("nottaken", Map.of("acr-test", inst));
    V1Secret before = alibabaSecret(ns);
    SyncFixture.Recorder rec = new SyncFixture.Recorder();
    AcrConfiguration off =
        SyncFixture.config(inst, ServiceAccountScope.named(Set.of("default")), HZ).toBuilder()
            .takeOverAlibabaSecrets(false)
            .build();
    try (PullSecretSync sync =
        PullSecretSync.builder()
            .apiClient(fx.server.adminClient())
            .configuration(off)
            .tokenProvider(new FakeTokens())
            .instanceName(inst)
            .listener(rec)
            .build()) {
      sync.start();
      await("the clash is reported", () -> !rec.clashes.isEmpty());
      assertThat(rec.clashes.get(0).reason()).contains("take-over-alibaba-secrets is false");
      Thread.sleep(500);
      assertThat(fx.secret(ns, HZ_SECRET).orElseThrow().getMetadata().getResourceVersion())
          .isEqualTo(before.getMetadata().getResourceVersion());
      // turned on again: taken over at once
      sync.updateConfiguration(off.toBuilder().takeOverAlibabaSecrets(true).build());
      await(
          "taken over once allowed",
          () -> "pw-cn-hangzhou-1".equals(fx.password(ns, HZ_SECRET, HANGZHOU)));
    }
  }

  private List<String> messages() {
    return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}
