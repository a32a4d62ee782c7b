package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Records, before a node starts, the host state it may change (sysctls, fixed directories, network
 * namespaces, CNI leftovers, kubepods cgroups) and registers how to restore each.
 */
final class HostState {

  private static final Path NETNS = Path.of("/run/netns");
  private static final List<Path> FIXED_PATHS =
      List.of(
          Path.of("/var/lib/kubelet"), Path.of("/run/containerd"), Path.of("/var/lib/cni"), NETNS);

  private HostState() {}

  static void record(HostChanges changes, Duration commandTimeout) {
    Map<String, String> sysctls = HostChanges.readSysctls();
    changes.onUndo("restore sysctls", () -> HostChanges.restoreSysctls(sysctls));

    for (Path fixed : FIXED_PATHS) {
      if (!Files.exists(fixed)) {
        changes.onUndo("delete " + fixed, () -> HostChanges.deleteRecursively(fixed));
        changes.onUndo("unmount under " + fixed, () -> HostChanges.unmountUnder(fixed));
      }
    }
    Set<String> netnsBefore = listNames(NETNS);
    changes.onUndo(
        "remove the node's network namespaces",
        () -> {
          for (String ns : listNames(NETNS)) {
            if (!netnsBefore.contains(ns) && ns.startsWith("cni-")) {
              Path file = NETNS.resolve(ns);
              HostChanges.unmountUnder(file);
              try {
                Files.deleteIfExists(file);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }
          }
        });
    CniNetwork.registerCleanup(changes, commandTimeout);
    List<Path> kubepods =
        HostChanges.cgroupDirectories("kubepods").stream().filter(p -> !Files.exists(p)).toList();
    changes.onUndo("remove kubepods cgroups", () -> HostChanges.removeCgroups(kubepods));
  }

  /** File names in {@code dir}; empty when it does not exist or cannot be read. */
  static Set<String> listNames(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    } catch (IOException e) {
      return Set.of();
    }
  }
}
