package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Pod network: Debian's CNI bridge plugin on bridge {@value #BRIDGE} with host-local
 * addresses from {@value #SUBNET}; what it leaves on the host is registered for removal.
 */
final class CniNetwork {

  private static final Logger LOG = LoggerFactory.getLogger(CniNetwork.class);
  static final Path PLUGINS = Path.of("/usr/lib/cni");
  private static final String BRIDGE = "acrnode0";
  private static final String NETWORK = "acr-node-test";
  private static final String SUBNET = "10.244.77.0/24";
  private static final Path RESULTS = Path.of("/var/lib/cni/results");

  private CniNetwork() {}

  /** Which plugin is missing, naming the package to install. */
  static Optional<String> missingPlugin() {
    for (String plugin : List.of("bridge", "host-local", "loopback")) {
      if (!Files.isExecutable(PLUGINS.resolve(plugin))) {
        return Optional.of(
            "CNI plugin "
                + PLUGINS.resolve(plugin)
                + " is missing (apt-get install containernetworking-plugins)");
      }
    }
    return Optional.empty();
  }

  /** Writes the network's conflist into {@code confDir}, addresses kept in {@code ipamDir}. */
  static void writeConfig(Path confDir, Path ipamDir) {
    try {
      Files.createDirectories(confDir);
      Files.writeString(
          confDir.resolve("10-" + NETWORK + ".conflist"),
          "{\"cniVersion\":\"0.4.0\",\"name\":\""
              + NETWORK
              + "\",\"plugins\":[{\"type\":\"bridge\",\"bridge\":\""
              + BRIDGE
              + "\",\"isGateway\":false,\"ipMasq\":false,\"hairpinMode\":false,"
              + "\"ipam\":{\"type\":\"host-local\",\"subnet\":\""
              + SUBNET
              + "\",\"dataDir\":\""
              + ipamDir
              + "\"}}]}\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the CNI configuration", e);
    }
  }

  /** Registers removing the CNI results and the bridge this node will create (not earlier ones). */
  static void registerCleanup(HostChanges changes, Duration timeout) {
    Set<String> resultsBefore = HostState.listNames(RESULTS);
    changes.onUndo(
        "remove the node's CNI results",
        () -> {
          for (String result : HostState.listNames(RESULTS)) {
            if (!resultsBefore.contains(result) && result.startsWith(NETWORK + "-")) {
              try {
                Files.deleteIfExists(RESULTS.resolve(result));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }
          }
        });
    if (!Files.exists(Path.of("/sys/class/net", BRIDGE))) {
      changes.onUndo(
          "delete bridge " + BRIDGE,
          () -> {
            if (Files.exists(Path.of("/sys/class/net", BRIDGE))) {
              HostChanges.runOrFail(timeout, "ip", "link", "delete", BRIDGE);
            }
          });
    } else {
      LOG.warn("bridge {} exists already (left by an earlier run?); reusing it", BRIDGE);
    }
  }
}
