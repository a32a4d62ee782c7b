package io.acrcredential.kube.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures cold starts of {@link LocalKubeApiServer}: {@code java -cp ... StartupTiming [runs]}.
 * Prints each start-to-ready time and the median, with and without kube-controller-manager.
 */
public final class StartupTiming {

  private StartupTiming() {}

  /**
   * Entry point.
   *
   * @param args optional number of starts per variant (default 3)
   */
  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    for (boolean controllerManager : new boolean[] {false, true}) {
      List<Long> millis = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        try (LocalKubeApiServer server =
            LocalKubeApiServer.builder().controllerManager(controllerManager).start()) {
          millis.add(server.startupTime().toMillis());
        }
      }
      List<Long> sorted = millis.stream().sorted().toList();
      System.out.printf(
          "controller manager %-5s starts (ms): %s, median %d%n",
          controllerManager, millis, sorted.get(sorted.size() / 2));
    }
  }
}
