package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.kube.testing.WithLocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Switching from Alibaba's helper on a real node, with no failed pull: a namespace as that helper
 * leaves it (its Secret {@code acr-credential-<md5>} holding a login that expires during the test,
 * listed by the ServiceAccount), then the refresher (the program jar's {@code sync}) started. Pods
 * created before, during and after the switch (the last one after Alibaba's login expired) all
 * reach Running, and a sampler reading the pull Secret every 250 ms finds it holding a login that
 * the registry's token service accepts at every single read.
 */
@WithLocalNode
class NodeSwitchOverIT {

  static final String AK = "LTAI5tNodeSwitchOver01";
  static final String SECRET = "nodeSwitchOverSecret0123456";
  static final AcrInstance INSTANCE = AcrInstance.of("cri-nodeswitch01", "switch", "cn-hangzhou");

  /** Long enough for the before and during Pods, short enough to expire within the test. */
  static final Duration ALIBABA_LOGIN_LIFE = Duration.ofSeconds(75);

  private final LocalKubeApiServer server;
  private final LocalNode node;
  private final CoreV1Api core;

  NodeSwitchOverIT(LocalKubeApiServer server, LocalNode node) {
    this.server = server;
    this.node = node;
    this.core = new CoreV1Api(server.adminClient());
  }

  /** One read of the pull Secret: when, whose login, and whether the registry accepts it. */
  record Sample(Instant at, String principal, boolean valid, String problem) {}

  @Test
  void podsStartBeforeDuringAndAfterTheSwitchAndNoSecretEverHoldsABadLogin() throws Exception {
    String domain = INSTANCE.internetDomains().get(0);
    String secretName = DockerConfig.secretName(domain);
    Path home = Files.createTempDirectory("acr-node-switch-");
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
        NodeRegistry registry =
            NodeRegistry.start(
                server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.12", List.of(domain))) {
      cloud.identities().addAccessKey(AK, SECRET);
      cloud.acr().addInstance(INSTANCE);

      // The namespace as Alibaba's helper leaves it: its login (short-lived here), its Secret,
      // listed by the default ServiceAccount.
      String ns = server.createNamespace("switch");
      NodeRegistry.awaitDefaultServiceAccount(core, ns);
      cloud.acr().setTokenLifetime(ALIBABA_LOGIN_LIFE);
      IssuedToken alibaba = cloud.acr().issueLogin("alibaba-helper", INSTANCE.instanceId());
      cloud.acr().setTokenLifetime(Duration.ofHours(1));
      core.createNamespacedSecret(
              ns,
              new V1Secret()
                  .metadata(new V1ObjectMeta().name(secretName))
                  .type("kubernetes.io/dockerconfigjson")
                  .data(Map.of(".dockerconfigjson", alibabaConfig(domain, alibaba))))
          .execute();
      V1ServiceAccount sa = core.readNamespacedServiceAccount("default", ns).execute();
      sa.setImagePullSecrets(List.of(new V1LocalObjectReference().name(secretName)));
      core.replaceNamespacedServiceAccount("default", ns, sa).execute();

      List<Sample> samples = new CopyOnWriteArrayList<>();
      AtomicBoolean sampling = new AtomicBoolean(true);
      Thread sampler =
          new Thread(
              () -> {
                while (sampling.get()) {
                  samples.add(sample(cloud, ns, secretName, domain));
                  try {
                    Thread.sleep(250);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "pull-secret-sampler");
      sampler.start();
      List<Duration> times = new ArrayList<>();
      try {
        times.add(
            NodeRegistry.createAndAwaitRunning(
                core,
                node,
                ns,
                NodeRegistry.pod(node, "before-switch", registry.pushNew(domain, "team/app"))));

        Map<String, String> data = new LinkedHashMap<>();
        data.put("watch-namespace", ns);
        data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE.instanceId(), domain));
        String cfg = AcrConfigMaps.create(server, "switchcfg", data);
        try (SyncProcess sync = SyncProcess.startSync(env(cloud, home), cfg)) {
          // created while the refresher starts and takes over
          String during = registry.pushNew(domain, "team/app");
          times.add(
              NodeRegistry.createAndAwaitRunning(
                  core, node, ns, NodeRegistry.pod(node, "during-switch", during)));
          sync.awaitLog("took over Secret " + ns + "/" + secretName, Duration.ofMinutes(1));
          sync.awaitLog("first reconcile complete", Duration.ofMinutes(1));

          // after Alibaba's login expired: only the refresher's login can pull now
          long wait = Duration.between(Instant.now(), alibaba.expiresAt()).toMillis() + 2000;
          if (wait > 0) {
            Thread.sleep(wait);
          }
          assertThat(cloud.acr().validLogin(alibaba.username(), alibaba.password()))
              .as("Alibaba's login has expired by now")
              .isEmpty();
          times.add(
              NodeRegistry.createAndAwaitRunning(
                  core,
                  node,
                  ns,
                  NodeRegistry.pod(node, "after-switch", registry.pushNew(domain, "team/app"))));
          Thread.sleep(1000); // a few more samples after the last Pod
          assertThat(sync.process.isAlive()).as(sync.output()).isTrue();
          assertThat(sync.output()).doesNotContain(SECRET).doesNotContain(alibaba.password());
        }
      } finally {
        sampling.set(false);
        sampler.join(5000);
      }

      List<Sample> bad = samples.stream().filter(s -> !s.valid()).toList();
      assertThat(bad).as("samples with an expired, rejected or unreadable login").isEmpty();
      long alibabas = samples.stream().filter(s -> "alibaba-helper".equals(s.principal())).count();
      long ours = samples.stream().filter(s -> AK.equals(s.principal())).count();
      assertThat(alibabas).as("samples of Alibaba's login (before the switch)").isPositive();
      assertThat(ours).as("samples of the refresher's login (after the switch)").isPositive();
      Instant firstOurs =
          samples.stream().filter(s -> AK.equals(s.principal())).findFirst().orElseThrow().at();
      assertThat(firstOurs)
          .as("switched before Alibaba's login expired")
          .isBefore(alibaba.expiresAt());
      assertThat(samples.get(samples.size() - 1).at())
          .as("sampled past Alibaba's expiry")
          .isAfter(alibaba.expiresAt());
      V1Secret taken = core.readNamespacedSecret(secretName, ns).execute();
      assertThat(taken.getMetadata().getAnnotations())
          .containsEntry("acr-credential.io/taken-over-from", "aliyun-acr-credential-helper");
      System.out.printf(
          "[node] switch-over from Alibaba's helper: Pods before/during/after Running in %s;"
              + " %d samples of the pull Secret (%d Alibaba's login, %d the refresher's), 0 with"
              + " an expired or rejected login; Alibaba's login expired %s, switched at %s%n",
          times.stream().map(d -> d.toMillis() + " ms").toList(),
          samples.size(),
          alibabas,
          ours,
          alibaba.expiresAt(),
          firstOurs);
    } finally {
      NodeFixture.deleteTree(home);
    }
  }

  /** Reads the pull Secret and checks its login with the fake ACR, as the registry does. */
  private Sample sample(FakeAlibabaCloud cloud, String ns, String name, String domain) {
    Instant at = Instant.now();
    try {
      V1Secret s = core.readNamespacedSecret(name, ns).execute();
      byte[] json = s.getData() == null ? null : s.getData().get(".dockerconfigjson");
      if (json == null) {
        return new Sample(at, null, false, "no .dockerconfigjson");
      }
      Optional<DockerConfig.Auth> auth = DockerConfig.decode(json).auth(domain);
      if (auth.isEmpty()) {
        return new Sample(at, null, false, "no login for " + domain);
      }
      Optional<IssuedToken> valid =
          cloud.acr().validLogin(auth.get().username(), auth.get().password());
      if (valid.isEmpty() || !INSTANCE.instanceId().equals(valid.get().instanceId())) {
        return new Sample(at, null, false, "login expired or rejected");
      }
      return new Sample(at, valid.get().principal(), true, null);
    } catch (ApiException e) {
      return new Sample(at, null, false, "read failed: HTTP " + e.getCode());
    } catch (RuntimeException e) {
      return new Sample(at, null, false, e.getClass().getSimpleName());
    }
  }

  /** What Alibaba's helper writes: the temporary login for the one domain. */
  static byte[] alibabaConfig(String domain, IssuedToken login) {
    String auth =
        Base64.getEncoder()
            .encodeToString(
                (login.username() + ":" + login.password()).getBytes(StandardCharsets.UTF_8));
    return ("{\"auths\":{\""
            + domain
            + "\":{\"username\":\""
            + login.username()
            + "\",\"password\":\""
            + login.password()
            + "\",\"auth\":\""
            + auth
            + "\"}}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private Map<String, String> env(FakeAlibabaCloud cloud, Path home) {
    return FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
  }
}
