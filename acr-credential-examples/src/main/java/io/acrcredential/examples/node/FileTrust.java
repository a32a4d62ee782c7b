package io.acrcredential.examples.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Who owns a file and who else may write it, read without following links: the checks behind "trust
 * only what the user owns and nobody else can write".
 */
final class FileTrust {

  private static final int GROUP_OR_OTHER_WRITE = 0022;
  private static final int STICKY = 01000;
  private static final int TYPE_MASK = 0170000;

  private FileTrust() {}

  /** This process's effective user id, or empty when it cannot be told (not Linux). */
  static Optional<Integer> currentUid() {
    return Holder.UID;
  }

  private static final class Holder {
    static final Optional<Integer> UID = readUid();
  }

  private static Optional<Integer> readUid() {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("Uid:")) {
          // Uid: real effective saved filesystem
          String[] ids = line.substring(4).trim().split("\t");
          return Optional.of(Integer.parseInt(ids[1].trim()));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no owner checks possible
    }
    return Optional.empty();
  }

  /**
   * Why {@code path} (not followed if a link) must not be trusted as this user's private file or
   * directory, or empty when it is owned by this user and not writable by group or others.
   */
  static Optional<String> distrust(Path path) throws IOException {
    int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    Optional<Integer> me = currentUid();
    if (me.isPresent() && uid != me.get()) {
      return Optional.of("it is owned by uid " + uid + ", not by this user (uid " + me.get() + ")");
    }
    if ((mode & GROUP_OR_OTHER_WRITE) != 0) {
      return Optional.of(
          "group or others may write it (mode " + Integer.toOctalString(mode & 07777) + ")");
    }
    return Optional.empty();
  }

  /** The owner's uid of {@code path}, not following a link. */
  static int owner(Path path) throws IOException {
    return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether a directory may be written by group or others without the sticky bit. */
  static boolean othersMayReplaceEntries(Path dir) throws IOException {
    int mode = (Integer) Files.getAttribute(dir, "unix:mode");
    return (mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0;
  }

  /** Whether group or others may write a directory (sticky or not). */
  static boolean othersMayWrite(Path dir) throws IOException {
    int mode = (Integer) Files.getAttribute(dir, "unix:mode");
    return (mode & GROUP_OR_OTHER_WRITE) != 0;
  }

  /** What kind of file {@code path} is (not following a link), in words for error messages. */
  static String kind(Path path) throws IOException {
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return switch (mode & TYPE_MASK) {
      case 0100000 -> "a regular file";
      case 0040000 -> "a directory";
      case 0120000 -> "a symbolic link";
      case 0020000 -> "a character device";
      case 0060000 -> "a block device";
      case 0010000 -> "a FIFO";
      case 0140000 -> "a socket";
      default -> "not a regular file";
    };
  }
}
