package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Measures the jar's {@code sync} with 1,000 namespaces on its own API server: time from process
 * start to the first completed reconcile, and resident memory (VmRSS) in steady state. Opt-in
 * (slow, and it loads the machine): {@code mvn -pl acr-credential-examples -am verify
 * -Dit.test=RefresherFootprintIT -Dacr.measure=true -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false}. Extra JVM options for the child: {@code
 * -Dacr.measure.jvm="-Xmx128m"}.
 */
class RefresherFootprintIT {

  static final int NAMESPACES = Integer.getInteger("acr.measure.namespaces", 1000);

  @Test
  void firstReconcileAndSteadyStateMemoryWithAThousandNamespaces() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("acr.measure"), "set -Dacr.measure=true");
    try (LocalKubeApiServer server = LocalKubeApiServer.start();
        FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
      cloud.identities().addAccessKey("LTAI5tFootprint0001", "footprintSecret0123456789");
      cloud.acr().addInstance(AcrInstance.of("cri-footprint1", "footprint", "cn-hangzhou"));
      CoreV1Api core = new CoreV1Api(server.adminClient());
      long t0 = System.nanoTime();
      for (int i = 0; i < NAMESPACES; i++) {
        core.createNamespace(
                new V1Namespace().metadata(new V1ObjectMeta().name(String.format("load-%04d", i))))
            .execute();
      }
      System.out.printf(
          "[refresher] created %d namespaces in %d ms%n",
          NAMESPACES, Duration.ofNanos(System.nanoTime() - t0).toMillis());
      core.createNamespacedConfigMap(
              "kube-system",
              new V1ConfigMap()
                  .metadata(new V1ObjectMeta().name("acr-configuration"))
                  .data(
                      Map.of(
                          "watch-namespace", "all",
                          "service-account", "default",
                          "acr-registry-info",
                              "- instanceId: \"cri-footprint1\"\n  regionId: \"cn-hangzhou\"\n")))
          .execute();
      // the controller manager creates each namespace's "default" ServiceAccount
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (core.listServiceAccountForAllNamespaces().execute().getItems().stream()
              .filter(sa -> sa.getMetadata().getNamespace().startsWith("load-"))
              .count()
          < NAMESPACES) {
        assertThat(System.nanoTime()).as("default ServiceAccounts created").isLessThan(deadline);
        Thread.sleep(500);
      }
      Map<String, String> env = new HashMap<>();
      env.put("HOME", Files.createTempDirectory("footprint").toString());
      env.put("KUBECONFIG", server.kubeconfig().toString());
      env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
      env.put("ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint());
      env.put("ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint());
      env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tFootprint0001");
      env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "footprintSecret0123456789");
      String jvm = System.getProperty("acr.measure.jvm", "").trim();
      if (!jvm.isEmpty()) {
        env.put("JAVA_TOOL_OPTIONS", jvm);
      }
      List<String> args = new ArrayList<>(List.of("sync", "--http-address", "127.0.0.1"));
      args.addAll(List.of("--http-port", "0", "--identity", "footprint"));
      try (SyncProcess p = SyncProcess.start(env, args.toArray(String[]::new))) {
        Matcher first =
            p.awaitLog(
                "first reconcile complete (\\d+) ms after process start .*: (\\d+) namespace",
                Duration.ofMinutes(10));
        Duration wall = p.age();
        long reported = Long.parseLong(first.group(1));
        int namespaces = Integer.parseInt(first.group(2));
        assertThat(namespaces).isGreaterThanOrEqualTo(NAMESPACES);
        long rssAtFirst = rssKiB(p.process.pid());
        Thread.sleep(Duration.ofSeconds(60).toMillis());
        long rss = rssKiB(p.process.pid());
        System.out.printf(
            "[refresher] %d namespaces in scope: first reconcile %d ms after process start"
                + " (wall clock from spawn: %d ms); VmRSS %d MiB right after, %d MiB after 60 s"
                + " steady state; JVM options: %s%n",
            namespaces,
            reported,
            wall.toMillis(),
            rssAtFirst / 1024,
            rss / 1024,
            jvm.isEmpty() ? "(defaults)" : jvm);
        assertThat(p.process.isAlive()).isTrue();
      }
    }
  }

  static long rssKiB(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmRSS for " + pid);
  }
}
