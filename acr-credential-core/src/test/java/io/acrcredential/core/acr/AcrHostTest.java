package io.acrcredential.core.acr;

import static io.acrcredential.core.RegistryEdition.ENTERPRISE;
import static io.acrcredential.core.RegistryEdition.PERSONAL;
import static io.acrcredential.core.acr.AcrHost.Network.INTERNAL;
import static io.acrcredential.core.acr.AcrHost.Network.PUBLIC;
import static io.acrcredential.core.acr.AcrHost.Network.VPC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.RegistryHosts;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AcrHostTest {

  private static AcrHost classic(String region, AcrHost.Network network, boolean intl) {
    return new AcrHost(
        PERSONAL,
        region,
        network,
        intl,
        Optional.empty(),
        Optional.empty(),
        false,
        OptionalInt.empty());
  }

  private static AcrHost crpi(String id, String region, AcrHost.Network network) {
    return new AcrHost(
        PERSONAL,
        region,
        network,
        false,
        Optional.empty(),
        Optional.of(id),
        false,
        OptionalInt.empty());
  }

  private static AcrHost ee(String name, String region, AcrHost.Network network, boolean p2p) {
    return new AcrHost(
        ENTERPRISE,
        region,
        network,
        false,
        Optional.of(name),
        Optional.empty(),
        p2p,
        OptionalInt.empty());
  }

  private static AcrHost withPort(AcrHost host, int port) {
    return new AcrHost(
        host.edition(),
        host.regionId(),
        host.network(),
        host.international(),
        host.instanceName(),
        host.personalInstanceId(),
        host.distributed(),
        OptionalInt.of(port));
  }

  static Stream<Arguments> everyForm() {
    return Stream.of(
        Arguments.of("registry.cn-hangzhou.aliyuncs.com", classic("cn-hangzhou", PUBLIC, false)),
        Arguments.of("registry-vpc.cn-hangzhou.aliyuncs.com", classic("cn-hangzhou", VPC, false)),
        Arguments.of(
            "registry-internal.cn-shanghai.aliyuncs.com", classic("cn-shanghai", INTERNAL, false)),
        Arguments.of(
            "registry-intl.ap-southeast-1.aliyuncs.com", classic("ap-southeast-1", PUBLIC, true)),
        Arguments.of(
            "registry-intl-vpc.ap-southeast-1.aliyuncs.com", classic("ap-southeast-1", VPC, true)),
        Arguments.of(
            "registry-intl-internal.eu-central-1.aliyuncs.com",
            classic("eu-central-1", INTERNAL, true)),
        Arguments.of(
            "registry.cn-shanghai-finance-1.aliyuncs.com",
            classic("cn-shanghai-finance-1", PUBLIC, false)),
        Arguments.of(
            "crpi-kmgbzfhn0wdhpmzs.cn-hangzhou.personal.cr.aliyuncs.com",
            crpi("crpi-kmgbzfhn0wdhpmzs", "cn-hangzhou", PUBLIC)),
        Arguments.of(
            "crpi-kmgbzfhn0wdhpmzs-vpc.cn-hangzhou.personal.cr.aliyuncs.com",
            crpi("crpi-kmgbzfhn0wdhpmzs", "cn-hangzhou", VPC)),
        Arguments.of(
            "myee-registry.cn-beijing.cr.aliyuncs.com", ee("myee", "cn-beijing", PUBLIC, false)),
        Arguments.of(
            "myee-registry-vpc.cn-beijing.cr.aliyuncs.com", ee("myee", "cn-beijing", VPC, false)),
        Arguments.of(
            "my-team-prod-registry.cn-beijing.cr.aliyuncs.com",
            ee("my-team-prod", "cn-beijing", PUBLIC, false)),
        Arguments.of(
            "my-registry-registry-vpc.cn-beijing.cr.aliyuncs.com",
            ee("my-registry", "cn-beijing", VPC, false)),
        Arguments.of(
            "foo-registry-vpc-registry.cn-beijing.cr.aliyuncs.com",
            ee("foo-registry-vpc", "cn-beijing", PUBLIC, false)),
        Arguments.of(
            "registry-registry.cn-beijing.cr.aliyuncs.com",
            ee("registry", "cn-beijing", PUBLIC, false)),
        Arguments.of(
            "crpi-x-registry.cn-beijing.cr.aliyuncs.com",
            ee("crpi-x", "cn-beijing", PUBLIC, false)),
        Arguments.of(
            "myee-registry-vpc.distributed.cn-hangzhou.cr.aliyuncs.com",
            ee("myee", "cn-hangzhou", VPC, true)),
        Arguments.of(
            "myee-registry-vpc.distributed.cn-hangzhou.cr.aliyuncs.com:65001",
            withPort(ee("myee", "cn-hangzhou", VPC, true), 65001)),
        Arguments.of(
            "registry.cn-hangzhou.aliyuncs.com:443",
            withPort(classic("cn-hangzhou", PUBLIC, false), 443)),
        Arguments.of(
            "  Registry-VPC.CN-Hangzhou.AliyunCS.com ", classic("cn-hangzhou", VPC, false)),
        Arguments.of(
            "registry.xx-newplace-9.aliyuncs.com", classic("xx-newplace-9", PUBLIC, false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyForm")
  void parsesEveryForm(String host, AcrHost expected) {
    AcrHost parsed = AcrHost.parse(host).orElseThrow();

    assertThat(parsed).isEqualTo(expected);
    assertThat(parsed.toHost()).isEqualTo(RegistryHosts.normalize(host));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // look-alikes
        "registry.cn-hangzhou.aliyuncs.com.evil.com",
        "registry.cn-hangzhou.aliyuncs.com.evil.com:443",
        "evil.com.registry.cn-hangzhou.aliyuncs.com",
        "a.registry.cn-hangzhou.aliyuncs.com",
        "myregistry.cn-hangzhou.aliyuncs.com",
        "registry-evil.cn-hangzhou.aliyuncs.com",
        "registry-vpc-intl.cn-hangzhou.aliyuncs.com",
        "registry-vpc-internal.cn-hangzhou.aliyuncs.com",
        "registry.cn-hangzhou.aliyuncs.co",
        "registry.cn-hangzhou.aliyuncs.com.cn",
        "registry.cn-hangzhou.notaliyuncs.com",
        "registry.cn-hangzhou-aliyuncs.com",
        // API endpoints and other Alibaba hosts are not registries
        "cr.cn-hangzhou.aliyuncs.com",
        "cr-vpc.cn-hangzhou.aliyuncs.com",
        "oss-cn-hangzhou.aliyuncs.com",
        "aliyuncs.com",
        "registry.aliyuncs.com",
        // malformed regions
        "registry.hangzhou.aliyuncs.com",
        "registry.cr.aliyuncs.com",
        "registry.c-hangzhou.aliyuncs.com",
        "registry.cn-a-b-c-d-e.aliyuncs.com",
        // Enterprise look-alikes
        "registry.cn-hangzhou.cr.aliyuncs.com",
        "registry-vpc.cn-hangzhou.cr.aliyuncs.com",
        "myee.cn-hangzhou.cr.aliyuncs.com",
        "myee-registry.cn-hangzhou.aliyuncs.com",
        "myee-registry-internal.cn-hangzhou.cr.aliyuncs.com",
        "myee-registry.distributed.cn-hangzhou.cr.aliyuncs.com",
        "myee-registry-vpc.distributed.cn-hangzhou.aliyuncs.com",
        "myee-registry-vpc.p2p.cn-hangzhou.cr.aliyuncs.com",
        "myee-registry.cn-hangzhou.cr.aliyuncs.com.evil.com",
        "x.myee-registry.cn-hangzhou.cr.aliyuncs.com",
        // Personal instance look-alikes
        "crpi-abc.cn-hangzhou.cr.aliyuncs.com",
        "crpi-abc.cn-hangzhou.personal.aliyuncs.com",
        "crpi-ab-c.cn-hangzhou.personal.cr.aliyuncs.com",
        "crpi-.cn-hangzhou.personal.cr.aliyuncs.com",
        "crpi-abc-internal.cn-hangzhou.personal.cr.aliyuncs.com",
        "crpx-abc.cn-hangzhou.personal.cr.aliyuncs.com",
        "abc.cn-hangzhou.personal.cr.aliyuncs.com",
        // not hosts, or not ACR at all
        "https://registry.cn-hangzhou.aliyuncs.com",
        "registry.cn-hangzhou.aliyuncs.com/ns/image",
        "registry..cn-hangzhou.aliyuncs.com",
        "",
        "docker.io",
        "localhost:5000",
        "10.0.0.1",
        "[::1]:5000",
      })
  void rejectsEverythingElse(String host) {
    assertThat(AcrHost.parse(host)).isEmpty();
  }

  @Test
  void rejectsNull() {
    assertThat(AcrHost.parse(null)).isEmpty();
  }

  @Test
  void parsesWhatItBuildsForRandomValues() {
    long master = 0xacdc_2024L;
    Random seeds = new Random(master);
    for (int i = 0; i < 2000; i++) {
      long seed = seeds.nextLong();
      AcrHost value = randomHost(new Random(seed));
      String host = value.toHost();
      assertThat(RegistryHosts.isValid(host)).as("seed %d: %s", seed, host).isTrue();
      assertThat(AcrHost.parse(host)).as("seed %d: %s", seed, host).contains(value);
      assertThat(AcrHost.parse(host.toUpperCase(Locale.ROOT))).as("seed %d", seed).contains(value);
      assertThat(AcrHost.parse(host + ".evil.example")).as("seed %d", seed).isEmpty();
      assertThat(AcrHost.parse("x" + host))
          .as("seed %d", seed)
          .satisfiesAnyOf(
              parsed -> assertThat(parsed).isEmpty(),
              // prefixing an Enterprise host only lengthens the instance name
              parsed ->
                  assertThat(parsed.orElseThrow().instanceName())
                      .contains("x" + value.instanceName().orElse("")));
    }
  }

  private static AcrHost randomHost(Random random) {
    String[] regions = AcrRegions.known().toArray(String[]::new);
    String region = regions[random.nextInt(regions.length)];
    OptionalInt port =
        random.nextInt(4) == 0 ? OptionalInt.of(1 + random.nextInt(65535)) : OptionalInt.empty();
    switch (random.nextInt(3)) {
      case 0 -> {
        AcrHost.Network network = AcrHost.Network.values()[random.nextInt(3)];
        return new AcrHost(
            PERSONAL,
            region,
            network,
            random.nextBoolean(),
            Optional.empty(),
            Optional.empty(),
            false,
            port);
      }
      case 1 -> {
        String id = "crpi-" + randomWord(random, "abcdefghijklmnopqrstuvwxyz0123456789", 1, 20);
        return new AcrHost(
            PERSONAL,
            region,
            random.nextBoolean() ? PUBLIC : VPC,
            false,
            Optional.empty(),
            Optional.of(id),
            false,
            port);
      }
      default -> {
        String[] pieces = {"registry", "vpc", "registry-vpc", "a", "b1", "prod", "crpi", "x"};
        StringBuilder name = new StringBuilder(pieces[random.nextInt(pieces.length)]);
        int extra = random.nextInt(4);
        for (int i = 0; i < extra; i++) {
          name.append('-').append(pieces[random.nextInt(pieces.length)]);
        }
        boolean p2p = random.nextInt(3) == 0;
        AcrHost.Network network = p2p || random.nextBoolean() ? VPC : PUBLIC;
        return new AcrHost(
            ENTERPRISE,
            region,
            network,
            false,
            Optional.of(name.toString()),
            Optional.empty(),
            p2p,
            port);
      }
    }
  }

  private static String randomWord(Random random, String alphabet, int min, int max) {
    int length = min + random.nextInt(max - min + 1);
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < length; i++) {
      word.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return word.toString();
  }

  static Stream<Arguments> impossibleCombinations() {
    Optional<String> none = Optional.empty();
    OptionalInt noPort = OptionalInt.empty();
    return Stream.of(
        Arguments.of(
            "EE without name",
            new Object[] {ENTERPRISE, "cn-hangzhou", PUBLIC, false, none, none, false, noPort},
            "needs the instance name"),
        Arguments.of(
            "EE internal",
            new Object[] {
              ENTERPRISE, "cn-hangzhou", INTERNAL, false, Optional.of("a"), none, false, noPort
            },
            "no crpi- id, intl or internal form"),
        Arguments.of(
            "EE P2P public",
            new Object[] {
              ENTERPRISE, "cn-hangzhou", PUBLIC, false, Optional.of("a"), none, true, noPort
            },
            "always a VPC host"),
        Arguments.of(
            "EE bad name",
            new Object[] {
              ENTERPRISE, "cn-hangzhou", PUBLIC, false, Optional.of("a_b"), none, false, noPort
            },
            "invalid instance name 'a_b'"),
        Arguments.of(
            "Personal with name",
            new Object[] {
              PERSONAL, "cn-hangzhou", PUBLIC, false, Optional.of("a"), none, false, noPort
            },
            "has no instance name"),
        Arguments.of(
            "Personal P2P",
            new Object[] {PERSONAL, "cn-hangzhou", VPC, false, none, none, true, noPort},
            "only Enterprise Edition"),
        Arguments.of(
            "crpi intl",
            new Object[] {
              PERSONAL, "cn-hangzhou", PUBLIC, true, none, Optional.of("crpi-a"), false, noPort
            },
            "no intl or internal form"),
        Arguments.of(
            "bad crpi id",
            new Object[] {
              PERSONAL, "cn-hangzhou", PUBLIC, false, none, Optional.of("cri-a"), false, noPort
            },
            "invalid Personal Edition instance id 'cri-a'"),
        Arguments.of(
            "bad region",
            new Object[] {PERSONAL, "Hangzhou", PUBLIC, false, none, none, false, noPort},
            "invalid region id 'Hangzhou'"),
        Arguments.of(
            "bad port",
            new Object[] {
              PERSONAL, "cn-hangzhou", PUBLIC, false, none, none, false, OptionalInt.of(0)
            },
            "port 0 is not in 1..65535"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("impossibleCombinations")
  @SuppressWarnings("unchecked")
  void constructorRejectsCombinationsNoHostHas(String name, Object[] v, String message) {
    assertThatThrownBy(
            () ->
                new AcrHost(
                    (RegistryEdition) v[0],
                    (String) v[1],
                    (AcrHost.Network) v[2],
                    (Boolean) v[3],
                    (Optional<String>) v[4],
                    (Optional<String>) v[5],
                    (Boolean) v[6],
                    (OptionalInt) v[7]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}
