package io.acrcredential.examples.node;

import io.acrcredential.examples.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The attacker of the file-safety tests: shell commands run as another user (uid/gid 65534, no
 * supplementary groups) with {@code setpriv}, so that what it creates really belongs to someone
 * else. Needs root to switch users; the tests are skipped otherwise.
 */
final class OtherUser {

  static final int UID = 65534;

  private OtherUser() {}

  static void assumeAvailable() {
    Assumptions.assumeTrue(
        FileTrust.currentUid().orElse(-1) == 0,
        "the attacker tests switch to uid 65534 with setpriv, which needs root");
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is not installed");
  }

  /**
   * A directory anyone may create entries in (mode 1777, like /tmp) inside {@code base}, whose
   * ancestors up to {@code base} the other user may pass through.
   */
  static Path sharedDirectory(Path base) throws IOException {
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
    Path shared = base.resolve("shared");
    Files.createDirectory(shared);
    Processes.Result chmod =
        Processes.run(List.of("/bin/chmod", "1777", shared.toString()), Map.of(), "");
    if (chmod.exit() != 0) {
      throw new AssertionError("chmod 1777 failed: " + chmod);
    }
    return shared;
  }

  /** Runs {@code script} with {@code sh -c} as the other user; fails the test when it fails. */
  static void run(String script) {
    Processes.Result r =
        Processes.run(
            List.of(
                "/usr/bin/setpriv",
                "--reuid",
                String.valueOf(UID),
                "--regid",
                String.valueOf(UID),
                "--clear-groups",
                "/bin/sh",
                "-c",
                script),
            Map.of("PATH", "/usr/bin:/bin"),
            "");
    if (r.exit() != 0) {
      throw new AssertionError("the other user's commands failed: " + r);
    }
  }
}
