package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The private temporary directories the fixtures keep their files in. */
final class WorkDirs {

  private static final Logger LOG = LoggerFactory.getLogger(WorkDirs.class);

  private WorkDirs() {}

  /** A new directory under the system temporary directory (mode 700). */
  static Path create(String prefix, String what) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for " + what, e);
    }
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Deletes {@code dir} and everything in it; what cannot be deleted is logged, not thrown. */
  static void deleteOrWarn(Path dir) {
    try {
      HostChanges.deleteRecursively(dir);
    } catch (IllegalStateException e) {
      LOG.warn("{}", e.getMessage());
    }
  }
}
