package io.acrcredential.examples.node;

import io.acrcredential.examples.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Where {@code token --output FILE} may write: a regular file (or a new one), reached through a
 * symbolic link only when that link belongs to this user or root, and then the link's target is
 * replaced so the link stays. Devices, FIFOs, sockets and directories are refused before anything
 * is opened (so nothing hangs), and an existing file is read only up to {@link #MAX_EXISTING}.
 */
final class OutputFile {

  /** The most of an existing file read to merge into it (a Kubernetes Secret's limit). */
  static final int MAX_EXISTING = 1 << 20;

  /**
   * The resolved destination.
   *
   * @param file the regular file to replace (a link's target when the option named a link)
   * @param existing its current content, when it exists
   */
  record Destination(Path file, Optional<byte[]> existing) {}

  private OutputFile() {}

  /**
   * Resolves the option's path.
   *
   * @throws CliException naming the file and what is wrong with it
   */
  static Destination resolve(Path requested) {
    Path absolute = requested.toAbsolutePath();
    try {
      Path file = absolute;
      if (Files.isSymbolicLink(absolute)) {
        int owner = FileTrust.owner(absolute);
        Optional<Integer> me = FileTrust.currentUid();
        if (me.isPresent() && owner != me.get() && owner != 0) {
          throw refuse(
              requested,
              "it is a symbolic link owned by uid "
                  + owner
                  + "; --output follows only links owned by this user or root");
        }
        try {
          file = absolute.toRealPath();
        } catch (NoSuchFileException e) {
          throw refuse(
              requested,
              "it is a symbolic link that does not lead to an existing file; create the file it"
                  + " names or remove the link");
        }
      }
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          throw refuse(
              requested,
              (file.equals(absolute) ? "it is " : "it leads to " + file + ", ")
                  + FileTrust.kind(file)
                  + "; --output writes only regular files");
        }
        int owner = FileTrust.owner(file);
        Optional<Integer> me = FileTrust.currentUid();
        if (me.isPresent() && owner != me.get() && FileTrust.othersMayWrite(file.getParent())) {
          // Like the kernel's protected_regular: in a shared directory such as /tmp, a file of
          // someone else's is theirs to fill (e.g. with a credsStore that runs their program).
          throw refuse(
              requested,
              "it belongs to uid "
                  + owner
                  + " and lies in a directory other users may write, so its content is not"
                  + " trusted");
        }
        try {
          return new Destination(file, Optional.of(AtomicFiles.readBounded(file, MAX_EXISTING)));
        } catch (AtomicFiles.FileTooLargeException e) {
          throw refuse(
              requested,
              "it is larger than "
                  + MAX_EXISTING / 1024
                  + " KiB, so not a Docker config this command edits");
        }
      }
      Path dir = file.getParent();
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_RWX));
      }
      return new Destination(file, Optional.empty());
    } catch (IOException e) {
      throw CliException.failure(
          "cannot write " + requested + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
    }
  }

  static CliException refuse(Path file, String why) {
    return CliException.failure(
        "refusing to write " + file + ": " + why + "; choose another --output");
  }
}
