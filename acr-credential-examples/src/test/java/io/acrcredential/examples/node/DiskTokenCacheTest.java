package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.testing.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskTokenCacheTest {

  static final RegistryTarget TARGET =
      RegistryTarget.enterprise("cn-hangzhou", "cri-cache01").withDomains(List.of("a.example"));
  static final Optional<String> ALICE = Optional.of("v1|env-ak|LTAIalice");
  static final Optional<String> BOB = Optional.of("v1|env-ak|LTAIbob");

  @TempDir Path tmp;
  Path dir;
  FakeClock clock;
  AtomicInteger fetches;

  @BeforeEach
  void setUp() {
    dir = tmp.resolve("cache/tokens");
    clock = FakeClock.at(Instant.parse("2025-01-01T00:00:00Z"));
    fetches = new AtomicInteger();
  }

  DiskTokenCache cache() {
    return DiskTokenCache.open(dir, clock, Duration.ofMinutes(10));
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

  List<Path> entries() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json")).toList();
    }
  }

  @Test
  void secondReadComesFromDiskUntilTheMargin() {
    assertThat(cache().get(ALICE, TARGET, fetcher("p1")).password()).isEqualTo("p1");
    clock.advance(Duration.ofMinutes(49));
    assertThat(cache().get(ALICE, TARGET, fetcher("p2")).password()).isEqualTo("p1");
    assertThat(fetches).hasValue(1);
    clock.advance(Duration.ofMinutes(2)); // 9 minutes left
    assertThat(cache().get(ALICE, TARGET, fetcher("p3")).password()).isEqualTo("p3");
    assertThat(fetches).hasValue(2);
  }

  @Test
  void identitiesAndTargetsNeverShareAToken() {
    cache().get(ALICE, TARGET, fetcher("alice"));
    assertThat(cache().get(BOB, TARGET, fetcher("bob")).password()).isEqualTo("bob");
    RegistryTarget other = RegistryTarget.personal("cn-hangzhou").withDomains(List.of("b.example"));
    assertThat(cache().get(ALICE, other, fetcher("personal")).password()).isEqualTo("personal");
    assertThat(cache().get(ALICE, TARGET, fetcher("x")).password()).isEqualTo("alice");
    assertThat(fetches).hasValue(3);
  }

  @Test
  void filesArePrivateAndHoldNoIdentityKey() throws Exception {
    cache().get(ALICE, TARGET, fetcher("p1"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    for (Path p : entries()) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
          .isEqualTo("rw-------");
      assertThat(p.getFileName().toString()).doesNotContain("alice");
      assertThat(Files.readString(p)).doesNotContain("LTAIalice");
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void openDirectoryIsMadePrivate() throws Exception {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    cache().get(ALICE, TARGET, fetcher("p1"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
  }

  @Test
  void corruptedEntryIsIgnoredAndRewritten() throws Exception {
    cache().get(ALICE, TARGET, fetcher("p1"));
    Path entry = entries().get(0);
    for (String garbage :
        new String[] {
          "",
          "{",
          "[]",
          "{\"version\":1}",
          "{\"version\":1,\"username\":\"u\",\"password\":\"p\",\"expiresAt\":\"tomorrow\"}"
        }) {
      Files.writeString(entry, garbage);
      assertThat(cache().get(ALICE, TARGET, fetcher("fresh")).password()).isEqualTo("fresh");
      assertThat(cache().get(ALICE, TARGET, fetcher("again")).password()).isEqualTo("fresh");
    }
    assertThat(fetches).hasValue(6);
  }

  @Test
  void retryableFailureFallsBackToTheUnexpiredCachedToken() {
    cache().get(ALICE, TARGET, fetcher("p1"));
    clock.advance(Duration.ofMinutes(55));
    Supplier<RegistryCredential> down =
        () -> {
          throw new TokenException(
              TokenException.Reason.SERVICE_UNAVAILABLE, "ServiceUnavailable", "down");
        };
    assertThat(cache().get(ALICE, TARGET, down).password()).isEqualTo("p1");

    Supplier<RegistryCredential> denied =
        () -> {
          throw new TokenException(TokenException.Reason.PERMISSION_DENIED, "Forbidden.RAM", "no");
        };
    assertThatThrownBy(() -> cache().get(ALICE, TARGET, denied)).isInstanceOf(TokenException.class);
    clock.advance(Duration.ofMinutes(5)); // expired: no fallback
    assertThatThrownBy(() -> cache().get(ALICE, TARGET, down)).isInstanceOf(TokenException.class);
  }

  @Test
  void withoutIdentityNothingIsCached() {
    cache().get(Optional.empty(), TARGET, fetcher("p1"));
    cache().get(Optional.empty(), TARGET, fetcher("p2"));
    assertThat(fetches).hasValue(2);
  }

  @Test
  void unusableDirectoryDisablesTheCache() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    DiskTokenCache c = DiskTokenCache.open(file.resolve("tokens"), clock, Duration.ofMinutes(10));
    assertThat(c.directory()).isEmpty();
    assertThat(c.get(ALICE, TARGET, fetcher("p1")).password()).isEqualTo("p1");
  }

  @Test
  void concurrentCallersMakeOneFetch() throws Exception {
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        String password = "p" + i;
        Callable<String> task =
            () -> {
              start.await();
              Supplier<RegistryCredential> slow =
                  () -> {
                    try {
                      Thread.sleep(50); // a network call takes time; others must wait, not fetch
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    return fetcher(password).get();
                  };
              return cache().get(ALICE, TARGET, slow).password();
            };
        results.add(pool.submit(task));
      }
      start.countDown();
      List<String> passwords = new ArrayList<>();
      for (Future<String> f : results) {
        passwords.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(fetches).hasValue(1);
      assertThat(passwords).containsOnly(passwords.get(0));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void instanceIdsAreCachedPerIdentityForADay() {
    AtomicInteger lookups = new AtomicInteger();
    Supplier<String> lookup =
        () -> {
          lookups.incrementAndGet();
          return "cri-found01";
        };
    assertThat(cache().instanceId(ALICE, "cn-hangzhou", "myco", lookup)).isEqualTo("cri-found01");
    cache().instanceId(ALICE, "cn-hangzhou", "myco", lookup);
    cache().instanceId(BOB, "cn-hangzhou", "myco", lookup);
    assertThat(lookups).hasValue(2);
    clock.advance(Duration.ofHours(25));
    cache().instanceId(ALICE, "cn-hangzhou", "myco", lookup);
    assertThat(lookups).hasValue(3);
  }
}
