package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The set-up the real-node ITs that start their own node share: whether this machine can run one,
 * the shipped kubelet plugin configuration, the kubelet's environment pointing at the fake cloud, a
 * counting wrapper around a provider, and the tear-down.
 */
final class NodeFixture {

  /** The cache directory line of the shipped credential-provider-config.yaml. */
  static final String SHIPPED_CACHE_LINE = "value: /var/cache/acr-credential/tokens";

  private NodeFixture() {}

  /**
   * Aborts the test class when this machine cannot run a real node, or fails it when {@code
   * ACR_NODE_REQUIRED=true} (CI) says it must.
   */
  static void requireNode() {
    Optional<String> reason = LocalNode.unavailableReason();
    if (reason.isPresent()) {
      if (Boolean.parseBoolean(System.getenv().getOrDefault("ACR_NODE_REQUIRED", "false"))) {
        throw new IllegalStateException(reason.get() + " (ACR_NODE_REQUIRED=true)");
      }
      Assumptions.abort("no real node: " + reason.get());
    }
  }

  /**
   * A fake cloud serving {@code instance} where the node's ECS metadata hands out the RAM role
   * {@code role} (as {@code KubernetesWorkerRole}), as on an ACK worker.
   */
  static FakeAlibabaCloud nodeRoleCloud(String role, AcrInstance instance) {
    FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
    cloud.identities().addRole(role);
    cloud.metadata().attachRole("KubernetesWorkerRole", role);
    cloud.acr().addInstance(instance);
    return cloud;
  }

  /**
   * The ConfigMap of the node webhook ITs: the namespaces labelled {@code scopeLabel=run}, the
   * webhook enabled, {@code instance} serving {@code domain}.
   */
  static Map<String, String> webhookConfig(
      String scopeLabel, String run, AcrInstance instance, String domain) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace-selector", scopeLabel + "=" + run);
    data.put("webhook-configuration", "enable: true\n");
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(instance.instanceId(), domain));
    return data;
  }

  /** The shipped kubelet plugin configuration, as the node bundle installs it. */
  static String shippedProviderConfig() throws IOException {
    return Files.readString(Path.of("src/main/deploy/credential-provider-config.yaml"));
  }

  /**
   * {@code shipped} with only its token cache moved to {@code cacheDir}; asserts the line is there.
   */
  static String withCacheDir(String shipped, Path cacheDir) {
    assertThat(shipped).contains(SHIPPED_CACHE_LINE);
    return shipped.replace(SHIPPED_CACHE_LINE, "value: " + cacheDir);
  }

  /**
   * The kubelet's environment for the plugin: the three cloud endpoints on the fake, {@code HOME},
   * and {@code JAVA_HOME} (this JVM's) when asked.
   */
  static Map<String, String> kubeletEnvironment(
      FakeAlibabaCloud cloud, Path home, boolean javaHome) {
    Map<String, String> env = new HashMap<>();
    env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
    env.put("ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint());
    env.put("ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint());
    if (javaHome) {
      env.put("JAVA_HOME", System.getProperty("java.home"));
    }
    env.put("HOME", home.toString());
    return env;
  }

  /**
   * Writes an executable {@code script} that appends a line to {@code calls} and runs {@code
   * target}.
   */
  static void countingWrapper(Path script, Path calls, Path target) throws IOException {
    Files.writeString(
        script, "#!/bin/sh\necho call >> '" + calls + "'\nexec '" + target + "' \"$@\"\n");
    script.toFile().setExecutable(true);
  }

  /** Closes each (reporting, not throwing, what fails), then deletes {@code tmp} if set. */
  static void closeAll(Path tmp, AutoCloseable... closeables) {
    for (AutoCloseable closeable : closeables) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        System.err.println("closing " + closeable + ": " + e);
      }
    }
    deleteTree(tmp);
  }

  /** Deletes a temporary tree, if set; what cannot be deleted stays. */
  static void deleteTree(Path tmp) {
    if (tmp != null) {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // temporary files only
      }
    }
  }
}
