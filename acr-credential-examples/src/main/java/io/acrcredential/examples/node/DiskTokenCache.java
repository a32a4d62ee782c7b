package io.acrcredential.examples.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.logging.LazyLog;
import io.acrcredential.examples.util.JsonTree;
import io.acrcredential.examples.util.Sha256;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Registry tokens kept on disk between the invocations of short-lived programs (the kubelet plugin
 * and the Docker credential helper), per user.
 *
 * <ul>
 *   <li>One file per (identity, target), named by the SHA-256 of both, so two identities never
 *       share a token. The identity key holds no secret and only its hash reaches the disk.
 *   <li>The directory is made 0700 and files 0600; files are replaced atomically (write to a
 *       temporary file created exclusively, rename), so a reader never sees half a file.
 *   <li>Only what this user owns is trusted: a directory that is a symbolic link, belongs to
 *       someone else or sits in a directory others may change disables the cache; an entry that is
 *       not a regular file of this user's, writable by nobody else, is ignored (said once). Links
 *       are never followed (entries, the lock file, the directory when tightened), and an entry is
 *       read at most {@link #MAX_ENTRY} bytes.
 *   <li>A fetch holds an exclusive lock ({@code <entry>.lock}, in-process and {@code flock}) and
 *       re-reads the entry first: concurrent invocations make one ACR call, not one each.
 *   <li>A token is served while more than {@code margin} of its life is left. When a refresh fails
 *       with a retryable error, a cached token that has not expired yet is served instead.
 *   <li>An unreadable or corrupted entry is ignored and rewritten.
 * </ul>
 */
final class DiskTokenCache {

  /** SLF4J starts only when a line is logged: a warm call logs nothing (see {@link LazyLog}). */
  private static final LazyLog LOG = new LazyLog(DiskTokenCache.class);

  private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
  private static final Set<PosixFilePermission> GROUP_OR_OTHER =
      PosixFilePermissions.fromString("---rwxrwx");

  /** Problems already reported by this process (each is said once). */
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  /** The most read of one entry; ours are a few hundred bytes. */
  static final int MAX_ENTRY = 64 * 1024;

  /** Default remaining lifetime under which a cached token is refreshed. */
  static final Duration DEFAULT_MARGIN = Duration.ofMinutes(10);

  /** How long an instance-name-to-id lookup is kept. */
  static final Duration INSTANCE_ID_TTL = Duration.ofHours(24);

  static final String ENV_DIR = "ACR_CREDENTIAL_CACHE_DIR";
  static final String ENV_DISABLED = "ACR_CREDENTIAL_NO_CACHE";

  private final Optional<Path> dir;
  private final Clock clock;
  private final Duration margin;

  private DiskTokenCache(Optional<Path> dir, Clock clock, Duration margin) {
    this.dir = dir;
    this.clock = clock;
    this.margin = margin;
  }

  /** A cache that keeps nothing. */
  static DiskTokenCache disabled(Clock clock) {
    return new DiskTokenCache(Optional.empty(), clock, DEFAULT_MARGIN);
  }

  /**
   * The per-user cache: {@code $ACR_CREDENTIAL_CACHE_DIR}, else {@code
   * $XDG_CACHE_HOME/acr-credential/tokens}, else {@code ~/.cache/acr-credential/tokens}. Disabled
   * when {@code ACR_CREDENTIAL_NO_CACHE=true} or when the directory cannot be made private.
   */
  static DiskTokenCache forUser(Invocation io) {
    if ("true".equalsIgnoreCase(io.get(ENV_DISABLED))) {
      return disabled(io.clock());
    }
    return open(defaultDir(io), io.clock(), DEFAULT_MARGIN);
  }

  static Path defaultDir(Invocation io) {
    String explicit = io.get(ENV_DIR);
    if (explicit != null) {
      return Path.of(explicit);
    }
    String xdg = io.get("XDG_CACHE_HOME");
    Path base = xdg != null ? Path.of(xdg) : io.home().resolve(".cache");
    return base.resolve("acr-credential").resolve("tokens");
  }

  static DiskTokenCache open(Path dir, Clock clock, Duration margin) {
    Path absolute = dir.toAbsolutePath();
    try {
      if (Files.isSymbolicLink(absolute)) {
        return refused(absolute, "it is a symbolic link", clock);
      }
      if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(
            absolute, PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_RWX));
      }
      if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
        return refused(absolute, "it is " + FileTrust.kind(absolute), clock);
      }
      int owner = FileTrust.owner(absolute);
      Optional<Integer> me = FileTrust.currentUid();
      if (me.isPresent() && owner != me.get()) {
        return refused(
            absolute,
            "it is owned by uid " + owner + ", not by this user (uid " + me.get() + ")",
            clock);
      }
      if (FileTrust.othersMayReplaceEntries(absolute.getParent())) {
        return refused(
            absolute,
            "its parent " + absolute.getParent() + " may be changed by other users",
            clock);
      }
      // Our own directory, not a link: tightening it cannot reach anything else. Entries someone
      // may have planted while it was open are each checked when read.
      PosixFileAttributeView view =
          Files.getFileAttributeView(
              absolute, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (!Collections.disjoint(view.readAttributes().permissions(), GROUP_OR_OTHER)) {
        view.setPermissions(AtomicFiles.OWNER_RWX);
      }
      if (!Files.isWritable(absolute)) {
        throw new IOException("not a writable directory");
      }
      return new DiskTokenCache(Optional.of(absolute), clock, margin);
    } catch (IOException | UnsupportedOperationException | ClassCastException e) {
      return refused(
          absolute,
          "cannot use it as a private directory (" + e.getClass().getSimpleName() + ")",
          clock);
    }
  }

  private static DiskTokenCache refused(Path dir, String why, Clock clock) {
    if (WARNED.add(dir + ": " + why)) {
      LOG.warn(
          "Token cache disabled: {}: {}; set {} to a directory of your own", dir, why, ENV_DIR);
    }
    return disabled(clock);
  }

  Optional<Path> directory() {
    return dir;
  }

  /**
   * A credential for the target: the cached one while it has more than the margin left, else one
   * from the fetcher (then cached). Without an identity key the cache is bypassed.
   */
  RegistryCredential get(
      Optional<String> identityKey, RegistryTarget target, Supplier<RegistryCredential> fetcher) {
    if (dir.isEmpty() || identityKey.isEmpty()) {
      return fetcher.get();
    }
    String name =
        "token-" + Sha256.hex(identityKey.get() + "\n" + targetKey(target)).substring(0, 40);
    Path file = dir.get().resolve(name + ".json");
    Optional<Entry> cached = read(file);
    if (cached.isPresent() && fresh(cached.get())) {
      if (LOG.isDebugEnabled()) {
        LOG.debug("Using the cached token for {} from {}", target.describe(), file);
      }
      return cached.get().credential(target);
    }
    return locked(
        dir.get().resolve(name + ".lock"),
        () -> {
          Optional<Entry> again = read(file);
          if (again.isPresent() && fresh(again.get())) {
            return again.get().credential(target);
          }
          RegistryCredential fresh;
          try {
            fresh = fetcher.get();
          } catch (TokenException e) {
            if (e.isRetryable()
                && again.isPresent()
                && again.get().expiresAt().isAfter(clock.instant().plusSeconds(30))) {
              LOG.warn(
                  "Refreshing the token for {} failed ({}); using the cached token that expires"
                      + " at {}",
                  target.describe(),
                  e.getMessage(),
                  again.get().expiresAt());
              return again.get().credential(target);
            }
            throw e;
          }
          write(file, fresh, target);
          return fresh;
        });
  }

  /** An instance id looked up by name, kept for a day per identity. */
  String instanceId(
      Optional<String> identityKey, String regionId, String instanceName, Supplier<String> lookup) {
    if (dir.isEmpty() || identityKey.isEmpty()) {
      return lookup.get();
    }
    String name =
        "instance-"
            + Sha256.hex(identityKey.get() + "\n" + regionId + "/" + instanceName).substring(0, 40);
    Path file = dir.get().resolve(name + ".json");
    try {
      if (trusted(file)) {
        JsonNode json = JsonTree.read(AtomicFiles.readBounded(file, MAX_ENTRY));
        Instant until = UtcInstants.parse(json.get("validUntil").asText());
        String id = json.get("instanceId").asText();
        if (until.isAfter(clock.instant()) && id.startsWith("cri-")) {
          return id;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Ignoring unreadable cache entry {}: {}", file, e.getClass().getSimpleName());
    }
    String id = lookup.get();
    ObjectNode json = JsonTree.object();
    json.put("regionId", regionId);
    json.put("instanceName", instanceName);
    json.put("instanceId", id);
    json.put("validUntil", clock.instant().plus(INSTANCE_ID_TTL).toString());
    try {
      AtomicFiles.write(file, JsonTree.write(json));
    } catch (IOException e) {
      LOG.warn("Cannot write the token cache entry {}: {}", file, e.getMessage());
    }
    return id;
  }

  /** Registry hosts with a cached, unexpired token, and the user name of each. */
  Map<String, String> validHosts() {
    Map<String, String> hosts = new TreeMap<>();
    if (dir.isEmpty()) {
      return hosts;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.get(), "token-*.json")) {
      for (Path f : files) {
        read(f)
            .filter(e -> e.expiresAt().isAfter(clock.instant()))
            .ifPresent(e -> e.domains().forEach(d -> hosts.put(d, e.username())));
      }
    } catch (IOException e) {
      LOG.debug("Cannot list {}: {}", dir.get(), e.getMessage());
    }
    return hosts;
  }

  private boolean fresh(Entry e) {
    return Duration.between(clock.instant(), e.expiresAt()).compareTo(margin) > 0;
  }

  private static String targetKey(RegistryTarget t) {
    return t.edition() + "|" + t.regionId() + "|" + t.instanceId().orElse("");
  }

  private <T> T locked(Path lockFile, Supplier<T> action) {
    ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(lockFile, k -> new ReentrantLock());
    inProcess.lock();
    try (FileChannel channel =
            FileChannel.open(
                lockFile,
                Set.of(
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_RW));
        FileLock lock = channel.lock()) {
      return action.get();
    } catch (IOException e) {
      LOG.debug("Cannot lock {} ({}); going on without the lock", lockFile, e.getMessage());
      return action.get();
    } finally {
      inProcess.unlock();
    }
  }

  private Optional<Entry> read(Path file) {
    try {
      if (!trusted(file)) {
        return Optional.empty();
      }
      JsonNode json = JsonTree.read(AtomicFiles.readBounded(file, MAX_ENTRY));
      if (json == null || !json.isObject() || json.path("version").asInt() != 1) {
        throw new IllegalArgumentException("not a version 1 entry");
      }
      List<String> domains = new ArrayList<>();
      for (JsonNode d : json.path("domains")) {
        domains.add(d.asText());
      }
      String username = text(json, "username");
      String password = text(json, "password");
      Instant expiresAt = UtcInstants.parse(text(json, "expiresAt"));
      return Optional.of(new Entry(username, password, expiresAt, List.copyOf(domains)));
    } catch (IOException | IllegalArgumentException | DateTimeParseException e) {
      LOG.debug("Ignoring corrupted cache entry {}: {}", file, e.getClass().getSimpleName());
      return Optional.empty();
    }
  }

  /**
   * Whether an entry may be read: a regular file (not a link), owned by this user, writable by
   * nobody else. A missing file is simply not trusted; anything else is said once and skipped.
   */
  private static boolean trusted(Path file) {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    String why;
    try {
      why =
          Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
              ? FileTrust.distrust(file).orElse(null)
              : "it is " + FileTrust.kind(file);
    } catch (IOException | UnsupportedOperationException | ClassCastException e) {
      why = "its owner cannot be read (" + e.getClass().getSimpleName() + ")";
    }
    if (why == null) {
      return true;
    }
    if (WARNED.add(file + ": " + why)) {
      LOG.warn("Ignoring the token cache entry {}: {}", file, why);
    }
    return false;
  }

  private static String text(JsonNode json, String field) {
    JsonNode v = json.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new IllegalArgumentException("field " + field + " is missing");
    }
    return v.asText();
  }

  private void write(Path file, RegistryCredential c, RegistryTarget target) {
    ObjectNode json = JsonTree.object();
    json.put("version", 1);
    json.put("target", target.describe());
    json.put("username", c.username());
    json.put("password", c.password());
    json.put("expiresAt", c.expiresAt().toString());
    json.putArray("domains").addAll(c.domains().stream().map(json::textNode).toList());
    try {
      byte[] bytes = JsonTree.write(json);
      AtomicFiles.write(file, bytes);
      java.util.Arrays.fill(bytes, (byte) 0);
    } catch (IOException e) {
      LOG.warn("Cannot write the token cache entry {}: {}", file, e.getMessage());
    }
  }

  /** A cached token; never printed with its password. */
  private record Entry(String username, String password, Instant expiresAt, List<String> domains) {
    RegistryCredential credential(RegistryTarget target) {
      List<String> d = target.domains().isEmpty() ? domains : target.domains();
      return new RegistryCredential(username, password, expiresAt, d.isEmpty() ? List.of("?") : d);
    }

    @Override
    public String toString() {
      return "Entry[username=" + username + ", password=<redacted>, expiresAt=" + expiresAt + "]";
    }
  }
}
