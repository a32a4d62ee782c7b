package io.acrcredential.examples.sync;

import io.acrcredential.examples.cli.CliException;
import io.acrcredential.k8s.SecretClash;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code sync --once}: one reconcile, then a summary on standard output naming every Secret taken
 * over from Alibaba's helper and every clash. A clash leaves its namespace without a working pull
 * Secret, so it fails the run.
 */
final class OnceSummary {

  private OnceSummary() {}

  /**
   * Reconciles once and prints the summary.
   *
   * @return 0 (every namespace in scope reconciled, no clash)
   * @throws CliException one line naming the first problem, or the namespaces with a clash
   */
  static int run(Refresher.Settings settings, Duration timeout, PrintStream out) {
    try (Refresher refresher = new Refresher(settings)) {
      ReconcileTracker.Pass pass = refresher.runOnce(timeout);
      out.println("synced " + pass.summary() + " in " + pass.took().toMillis() + " ms");
      for (String secret : pass.takenOver()) {
        out.println("  taken over from Alibaba's helper: Secret " + secret);
      }
      for (SecretClash clash : pass.clashes()) {
        out.println(
            "  clash: Secret "
                + clash.namespace()
                + "/"
                + clash.secretName()
                + " is not acr-credential's and was left untouched: "
                + clash.reason());
      }
      out.flush();
      if (!pass.clashes().isEmpty()) {
        Set<String> namespaces = new TreeSet<>();
        pass.clashes().forEach(c -> namespaces.add(c.namespace()));
        throw CliException.failure(
            namespaces.size()
                + " namespace(s) left without a working pull Secret by a clash ("
                + String.join(", ", namespaces)
                + "): rename or delete those Secrets, or see the migration guide"
                + " (docs/migrating-from-alibaba-helper.md)");
      }
      return 0;
    }
  }
}
