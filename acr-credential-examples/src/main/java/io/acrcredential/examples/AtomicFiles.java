package io.acrcredential.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file so that readers see the old content or the new one, never a mix: a temporary file
 * with mode 0600 in the same directory, flushed to disk, then renamed over the target.
 */
final class AtomicFiles {

  static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> OWNER_RWX = PosixFilePermissions.fromString("rwx------");

  private AtomicFiles() {}

  static void write(Path target, byte[] content) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp =
        Files.createTempFile(
            dir,
            "." + absolute.getFileName() + ".",
            ".tmp",
            PosixFilePermissions.asFileAttribute(OWNER_RW));
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(content);
      }
      try (var channel =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.move(
            tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
