package io.acrcredential.examples.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * Writes a file so that readers see the old content or the new one, never a mix: a temporary file
 * in the same directory, created exclusively ({@code O_CREAT|O_EXCL}, never through a link) with
 * mode 0600, written and flushed through the descriptor that created it (never reopened by path),
 * then renamed over the target. Reads are bounded and never follow a link or block on a FIFO.
 */
final class AtomicFiles {

  static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> OWNER_RWX = PosixFilePermissions.fromString("rwx------");

  /** Made on the first write: reading an entry (a warm helper call) starts no security provider. */
  private static final class Random {
    static final SecureRandom RANDOM = new SecureRandom();
  }

  private AtomicFiles() {}

  /**
   * Replaces {@code target} (a path whose last component is not followed if it is a link: the
   * rename replaces the link itself) with {@code content}.
   */
  static void write(Path target, byte[] content) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp = null;
    FileChannel channel = null;
    for (int attempt = 0; channel == null; attempt++) {
      byte[] random = new byte[8];
      Random.RANDOM.nextBytes(random);
      tmp =
          dir.resolve(
              "." + absolute.getFileName() + "." + HexFormat.of().formatHex(random) + ".tmp");
      try {
        // CREATE_NEW is O_CREAT|O_EXCL: it fails on any existing name, a symbolic link included.
        channel =
            FileChannel.open(
                tmp,
                Set.of(
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(OWNER_RW));
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      }
    }
    try {
      try (FileChannel out = channel) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
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

  /**
   * Reads at most {@code limit} bytes of a regular file, without following a link in its last
   * component.
   *
   * @throws FileTooLargeException when the file holds more than {@code limit} bytes
   * @throws IOException when it cannot be read, is a link or is not a regular file
   */
  static byte[] readBounded(Path file, int limit) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      // Checked before opening: opening a FIFO for reading would block until a writer comes.
      throw new IOException("not a regular file");
    }
    try (FileChannel in =
        FileChannel.open(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(limit + 1L, in.size() + 1L));
      while (buffer.hasRemaining()) {
        if (in.read(buffer) < 0) {
          break;
        }
        if (!buffer.hasRemaining() && buffer.capacity() <= limit) {
          // The file grew since size() was read: keep reading, still bounded.
          ByteBuffer bigger =
              ByteBuffer.allocate((int) Math.min(limit + 1L, buffer.capacity() * 2L));
          buffer.flip();
          bigger.put(buffer);
          buffer = bigger;
        }
      }
      if (buffer.position() > limit) {
        throw new FileTooLargeException(limit);
      }
      byte[] bytes = new byte[buffer.position()];
      buffer.flip();
      buffer.get(bytes);
      return bytes;
    }
  }

  /** A file larger than a reader accepts. */
  static final class FileTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    FileTooLargeException(int limit) {
      super("larger than " + limit + " bytes");
    }
  }
}
