package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.kube.testing.WithLocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Path 2, rotation and expiry, on a real node: registry logins live 120 s, the refresher replaces
 * them 90 s before they expire (so every 30 s; the program refuses a threshold at or below its 60-s
 * safety margin, so 60-s logins cannot be configured), and new Pods (fresh tags, {@code
 * imagePullPolicy: Always}) keep starting across several rotations. With the refresher stopped, a
 * pull after the last login expired fails with 401: the expiry in this test is real (the registry's
 * token service refuses expired logins).
 */
@WithLocalNode
class NodeRotationIT {

  static final String AK = "LTAI5tNodeRotation01";
  static final String SECRET = "nodeRotationSecret01234567";
  static final AcrInstance INSTANCE = AcrInstance.of("cri-noderotate01", "rotate", "cn-hangzhou");
  static final Duration TOKEN_LIFE = Duration.ofSeconds(120);
  static final int ROTATIONS = 3;

  private final LocalKubeApiServer server;
  private final LocalNode node;
  private final CoreV1Api core;

  NodeRotationIT(LocalKubeApiServer server, LocalNode node) {
    this.server = server;
    this.node = node;
    this.core = new CoreV1Api(server.adminClient());
  }

  @Test
  void podsKeepStartingAcrossRotationsAndAnExpiredLoginIsRefused() throws Exception {
    String domain = INSTANCE.internetDomains().get(0);
    Path home = Files.createTempDirectory("acr-node-rotation-");
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
        NodeRegistry registry =
            NodeRegistry.start(
                server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.6", List.of(domain))) {
      cloud.identities().addAccessKey(AK, SECRET);
      cloud.acr().addInstance(INSTANCE);
      cloud.acr().setTokenLifetime(TOKEN_LIFE);

      String ns = server.createNamespace("rotation");
      NodeRegistry.awaitDefaultServiceAccount(core, ns);
      Map<String, String> data = new LinkedHashMap<>();
      data.put("watch-namespace", ns);
      data.put("expiring-threshold", "90s");
      data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE.instanceId(), domain));
      String cfg = AcrConfigMaps.create(server, "rotcfg", data);

      Map<String, String> env = FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);

      List<Duration> times = new ArrayList<>();
      Set<String> passwordsUsed = new HashSet<>();
      try (SyncProcess sync = SyncProcess.startSync(env, cfg)) {
        sync.awaitLog("first reconcile complete", Duration.ofMinutes(1));
        int pod = 0;
        // Enough Pods, 15 s apart, to span ROTATIONS rotations of the login.
        while (issuedToRefresher(cloud) <= ROTATIONS) {
          String image = registry.pushNew(domain, "team/app");
          V1Pod created = NodeRegistry.pod(node, "rotating-" + pod++, image);
          times.add(NodeRegistry.createAndAwaitRunning(core, node, ns, created));
          passwordsUsed.add(secretBody(ns, domain));
          assertThat(pod)
              .as("Pods started while waiting for %d rotations", ROTATIONS)
              .isLessThan(30);
          Thread.sleep(15_000);
        }
        assertThat(sync.process.isAlive()).as(sync.output()).isTrue();
        sync.terminate(Duration.ofSeconds(30));
      }
      assertThat(passwordsUsed)
          .as("distinct logins Pods pulled with across the rotations")
          .hasSizeGreaterThanOrEqualTo(ROTATIONS);
      System.out.printf(
          "[node] rotation path: %d Pods across %d logins of %d s, create -> Running p50 %d ms%n",
          times.size(),
          passwordsUsed.size(),
          TOKEN_LIFE.toSeconds(),
          NodeRegistry.p50Millis(times));

      // The refresher is stopped: once its last login expired, a pull is refused.
      Instant lastExpiry =
          cloud.acr().issuedTokens().stream()
              .filter(t -> t.principal().equals(AK))
              .map(IssuedToken::expiresAt)
              .max(Instant::compareTo)
              .orElseThrow();
      String image = registry.pushNew(domain, "team/app");
      long wait = Duration.between(Instant.now(), lastExpiry).toMillis() + 1000;
      if (wait > 0) {
        Thread.sleep(wait);
      }
      core.createNamespacedPod(ns, NodeRegistry.pod(node, "after-expiry", image)).execute();
      assertThat(node.awaitPullFailure(ns, "after-expiry", NodeRegistry.POD_START))
          .contains("401 Unauthorized");
    } finally {
      NodeFixture.deleteTree(home);
    }
  }

  /** Logins the fake ACR issued to the refresher's AccessKey (not to the image pusher). */
  private static long issuedToRefresher(FakeAlibabaCloud cloud) {
    return cloud.acr().issuedTokens().stream().filter(t -> t.principal().equals(AK)).count();
  }

  private String secretBody(String ns, String domain) throws Exception {
    var secret = core.readNamespacedSecret(DockerConfig.secretName(domain), ns).execute();
    return new String(
        secret.getData().get(".dockerconfigjson"), java.nio.charset.StandardCharsets.UTF_8);
  }
}
