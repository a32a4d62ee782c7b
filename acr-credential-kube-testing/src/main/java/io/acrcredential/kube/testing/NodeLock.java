package io.acrcredential.kube.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link LocalNode} per machine (its ports and host paths are fixed): an exclusive lock on
 * {@link #FILE}, waited for and released by the node's undo list.
 */
final class NodeLock {

  private static final Logger LOG = LoggerFactory.getLogger(NodeLock.class);
  static final Path FILE = Path.of("/run/lock/acr-credential-node.lock");

  private NodeLock() {}

  /** Waits up to {@code timeout} for the lock and registers its release with {@code changes}. */
  static void acquire(HostChanges changes, Duration timeout) {
    try {
      Files.createDirectories(FILE.getParent());
      FileChannel channel =
          FileChannel.open(FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      long deadline = System.nanoTime() + timeout.toNanos();
      FileLock lock;
      boolean logged = false;
      while ((lock = tryLock(channel)) == null) {
        if (System.nanoTime() > deadline) {
          channel.close();
          throw new IllegalStateException(
              "another node holds "
                  + FILE
                  + " for more than "
                  + timeout.toMinutes()
                  + " min (one kubelet per machine)");
        }
        if (!logged) {
          LOG.info("waiting for {}: another node runs on this machine", FILE);
          logged = true;
        }
        HostChanges.sleep(Duration.ofSeconds(1));
      }
      FileLock held = lock;
      changes.onUndo(
          "release " + FILE,
          () -> {
            try {
              held.release();
              channel.close();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + FILE, e);
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by this JVM
    }
  }
}
