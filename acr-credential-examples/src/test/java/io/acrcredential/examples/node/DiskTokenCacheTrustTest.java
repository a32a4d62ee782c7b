package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.testing.FakeClock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk cache trusts only a directory and entries of this user's that nobody else can write, and
 * never follows a link. The attacker is uid 65534 (setpriv); the victim is this process.
 */
class DiskTokenCacheTrustTest {

  static final RegistryTarget TARGET =
      RegistryTarget.enterprise("cn-hangzhou", "cri-cache01").withDomains(List.of("a.example"));
  static final Optional<String> ALICE = Optional.of("v1|env-ak|LTAIalice");
  static final String PLANTED = "planted-password";

  @TempDir Path tmp;
  FakeClock clock;
  AtomicInteger fetches;

  @BeforeEach
  void setUp() {
    clock = FakeClock.at(Instant.parse("2025-01-01T00:00:00Z"));
    fetches = new AtomicInteger();
  }

  Supplier<RegistryCredential> fetcher(String password) {
    return () -> {
      fetches.incrementAndGet();
      return new RegistryCredential(
          "cr_temp_user",
          password,
          clock.instant().plus(Duration.ofHours(1)),
          List.of("a.example"));
    };
  }

  /** The name ALICE's entry for TARGET gets, learnt from a throw-away cache. */
  String entryName() throws Exception {
    Path scratch = tmp.resolve("scratch");
    DiskTokenCache.open(scratch, clock, Duration.ofMinutes(10)).get(ALICE, TARGET, fetcher("x"));
    fetches.set(0);
    try (Stream<Path> s = Files.list(scratch)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json"))
          .findFirst()
          .orElseThrow();
    }
  }

  String plantedEntry() {
    return "{\"version\":1,\"username\":\"attacker\",\"password\":\""
        + PLANTED
        + "\",\"expiresAt\":\""
        + clock.instant().plus(Duration.ofHours(1))
        + "\",\"domains\":[\"a.example\"]}";
  }

  @Test
  void aDirectoryOwnedByAnotherUserIsNotUsed() throws Exception {
    OtherUser.assumeAvailable();
    String name = entryName();
    Path shared = OtherUser.sharedDirectory(tmp);
    Path dir = shared.resolve("tokens");
    OtherUser.run(
        "mkdir -m 777 '"
            + dir
            + "' && printf '%s' '"
            + plantedEntry()
            + "' > '"
            + dir.resolve(name)
            + "' && chmod 666 '"
            + dir.resolve(name)
            + "'");

    DiskTokenCache cache = DiskTokenCache.open(dir, clock, Duration.ofMinutes(10));

    assertThat(cache.directory()).isEmpty();
    assertThat(cache.get(ALICE, TARGET, fetcher("fetched")).password()).isEqualTo("fetched");
    assertThat(cache.validHosts()).isEmpty();
    assertThat(fetches).hasValue(1);
  }

  @Test
  void anEntryPlantedByAnotherUserIsIgnoredAndReplaced() throws Exception {
    OtherUser.assumeAvailable();
    String name = entryName();
    Path shared = OtherUser.sharedDirectory(tmp);
    Path dir = Files.createDirectory(shared.resolve("tokens"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    OtherUser.run(
        "printf '%s' '"
            + plantedEntry()
            + "' > '"
            + dir.resolve(name)
            + "' && chmod 666 '"
            + dir.resolve(name)
            + "'");
    assertThat(FileTrust.owner(dir.resolve(name))).isEqualTo(OtherUser.UID);

    DiskTokenCache cache = DiskTokenCache.open(dir, clock, Duration.ofMinutes(10));

    assertThat(cache.directory()).isPresent();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    assertThat(cache.validHosts()).as("the planted entry is not listed").isEmpty();
    assertThat(cache.get(ALICE, TARGET, fetcher("fetched")).password()).isEqualTo("fetched");
    assertThat(fetches).hasValue(1);
    assertThat(FileTrust.owner(dir.resolve(name))).as("replaced by our own").isNotEqualTo(65534);
    assertThat(cache.get(ALICE, TARGET, fetcher("again")).password()).isEqualTo("fetched");
  }

  @Test
  void aSymlinkedDirectoryIsNotUsedAndItsTargetNotChmoded() throws Exception {
    OtherUser.assumeAvailable();
    Path victim = Files.createDirectory(tmp.resolve("victim"));
    Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path shared = OtherUser.sharedDirectory(tmp);
    Path link = shared.resolve("tokens");
    OtherUser.run("ln -s '" + victim + "' '" + link + "'");

    DiskTokenCache cache = DiskTokenCache.open(link, clock, Duration.ofMinutes(10));

    assertThat(cache.directory()).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)))
        .isEqualTo("rwxr-xr-x");
    cache.get(ALICE, TARGET, fetcher("fetched"));
    try (Stream<Path> s = Files.list(victim)) {
      assertThat(s).as("nothing written through the link").isEmpty();
    }
  }

  @Test
  void aLockFileLinkIsNotFollowed() throws Exception {
    String name = entryName();
    Path dir = tmp.resolve("tokens");
    DiskTokenCache cache = DiskTokenCache.open(dir, clock, Duration.ofMinutes(10));
    Path target = tmp.resolve("created-through-the-link");
    Files.createSymbolicLink(dir.resolve(name.replace(".json", ".lock")), target);

    assertThat(cache.get(ALICE, TARGET, fetcher("fetched")).password()).isEqualTo("fetched");

    assertThat(Files.exists(target, LinkOption.NOFOLLOW_LINKS)).isFalse();
  }

  @Test
  void anEntryThatIsALinkOrTooLargeIsIgnored() throws Exception {
    String name = entryName();
    Path dir = tmp.resolve("tokens");
    DiskTokenCache cache = DiskTokenCache.open(dir, clock, Duration.ofMinutes(10));
    Path elsewhere = Files.writeString(tmp.resolve("elsewhere.json"), plantedEntry());
    Files.createSymbolicLink(dir.resolve(name), elsewhere);
    assertThat(cache.validHosts()).isEmpty();

    Files.delete(dir.resolve(name));
    String padded = plantedEntry().replace("{", "{" + " ".repeat(DiskTokenCache.MAX_ENTRY));
    Files.writeString(dir.resolve(name), padded);
    Files.setPosixFilePermissions(dir.resolve(name), PosixFilePermissions.fromString("rw-------"));

    assertThat(cache.get(ALICE, TARGET, fetcher("fetched")).password()).isEqualTo("fetched");
    assertThat(fetches).hasValue(1);
  }

  @Test
  void anEntryOthersMayWriteIsIgnored() throws Exception {
    String name = entryName();
    Path dir = tmp.resolve("tokens");
    DiskTokenCache cache = DiskTokenCache.open(dir, clock, Duration.ofMinutes(10));
    Files.writeString(dir.resolve(name), plantedEntry());
    Files.setPosixFilePermissions(dir.resolve(name), PosixFilePermissions.fromString("rw-rw-rw-"));

    assertThat(cache.get(ALICE, TARGET, fetcher("fetched")).password()).isEqualTo("fetched");
    assertThat(fetches).hasValue(1);
  }
}
