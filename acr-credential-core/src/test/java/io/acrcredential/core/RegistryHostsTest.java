package io.acrcredential.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryHostsTest {

  @ParameterizedTest(name = "[{0}] -> [{1}]")
  @CsvSource(
      delimiter = '|',
      value = {
        "registry.cn-hangzhou.aliyuncs.com | registry.cn-hangzhou.aliyuncs.com",
        "Registry.CN-Hangzhou.AliyunCS.com | registry.cn-hangzhou.aliyuncs.com",
        "my-ee-registry-vpc.cn-beijing.cr.aliyuncs.com | my-ee-registry-vpc.cn-beijing.cr.aliyuncs.com",
        "x-registry-vpc.distributed.cn-hangzhou.cr.aliyuncs.com:65001 | x-registry-vpc.distributed.cn-hangzhou.cr.aliyuncs.com:65001",
        "localhost | localhost",
        "localhost:5000 | localhost:5000",
        "a | a",
        "0a.example | 0a.example",
        "1-2.3com | 1-2.3com",
        "xn--fiqs8s.example | xn--fiqs8s.example",
        "10.0.0.5 | 10.0.0.5",
        "255.255.255.255:65535 | 255.255.255.255:65535",
        "0.0.0.0:1 | 0.0.0.0:1",
        "[::1] | [::1]",
        "[::] | [::]",
        "[FD00::1]:443 | [fd00::1]:443",
        "[2001:db8:0:0:0:0:2:1] | [2001:db8:0:0:0:0:2:1]",
        "[::ffff:192.0.2.1]:5000 | [::ffff:192.0.2.1]:5000",
        "[1::] | [1::]",
        "[1:2:3:4:5:6:7::] | [1:2:3:4:5:6:7::]",
      })
  void acceptsAndNormalises(String input, String expected) {
    assertThat(RegistryHosts.normalize(input)).isEqualTo(expected);
    assertThat(RegistryHosts.isValid(input)).isTrue();
  }

  @Test
  void trimsSurroundingWhitespace() {
    assertThat(RegistryHosts.normalize(" \tregistry.cn-hangzhou.aliyuncs.com\n"))
        .isEqualTo("registry.cn-hangzhou.aliyuncs.com");
  }

  @Test
  void acceptsTheLongestNamesAndLabels() {
    String label63 = "a".repeat(63);
    assertThat(RegistryHosts.isValid(label63 + ".example")).isTrue();
    String name253 = (label63 + ".").repeat(3) + "a".repeat(61);
    assertThat(name253).hasSize(253);
    assertThat(RegistryHosts.isValid(name253)).isTrue();
    assertThat(RegistryHosts.isValid(name253 + "a")).isFalse();
  }

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "https://registry.example.com | without a scheme",
        "http://registry.example.com:5000 | without a scheme",
        "registry.example.com/v2/ | without a path",
        "registry.example.com/namespace | without a path",
        "user@registry.example.com | without user information",
        "'' | it is empty",
        "'   ' | it is empty",
        "reg istry.example.com | whitespace",
        "registry.example.com. | trailing dot",
        ".registry.example.com | empty label",
        "registry..example.com | empty label",
        "-registry.example.com | starts or ends with '-'",
        "registry-.example.com | starts or ends with '-'",
        "registry_1.example.com | '_' is not allowed",
        "registry.example.com:0 | from 1 to 65535",
        "registry.example.com:65536 | from 1 to 65535",
        "registry.example.com:080 | leading zeros",
        "registry.example.com: | the port after ':' is empty",
        "registry.example.com:https | from 1 to 65535",
        "registry.example.com:-1 | from 1 to 65535",
        ":5000 | the host name before the port is empty",
        "registry.example.com:5000:1 | IPv6 address in brackets",
        "fd00::1 | IPv6 address in brackets",
        "[fd00::1 | closing ]",
        "[fd00::1]x | only :port may follow",
        "[fd00::g] | is not an IPv6 address",
        "[1:2:3:4:5:6:7:8:9] | is not an IPv6 address",
        "[1::2::3] | is not an IPv6 address",
        "[1:2:3:4:5:6:7] | is not an IPv6 address",
        "[fe80::1%eth0] | is not an IPv6 address",
        "[] | is not an IPv6 address",
        "[::1.2.3.4.5] | is not an IPv6 address",
        "[12345::] | is not an IPv6 address",
        "999.1.1.1 | looks like an IPv4 address",
        "10.0.0.01 | looks like an IPv4 address",
        "1.2.3 | looks like an IPv4 address",
        "1.2.3.4.5 | looks like an IPv4 address",
        "registry.123 | looks like an IPv4 address",
        "régistry.example.com | non-ASCII",
        "registry.example.com?x=1 | '?' is not allowed",
      })
  void rejectsNamingTheValueAndTheProblem(String input, String problem) {
    assertThat(RegistryHosts.isValid(input)).isFalse();
    assertThatThrownBy(() -> RegistryHosts.normalize(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid registry host '" + input + "': ")
        .hasMessageContaining(problem);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u0000b", "a\rb.example", "a\u007fb"})
  void escapesControlCharactersInMessages(String input) {
    assertThatThrownBy(() -> RegistryHosts.normalize(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\\u00")
        .hasMessageContaining("control character")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(input));
  }

  @Test
  void rejectsTooLongLabelsAndNames() {
    assertThatThrownBy(() -> RegistryHosts.normalize("a".repeat(64) + ".example"))
        .hasMessageContaining("at most 63 characters");
    assertThatThrownBy(() -> RegistryHosts.normalize("a.".repeat(127) + "ab"))
        .hasMessageContaining("at most 253 characters");
  }

  @Test
  void cutsVeryLongValuesInMessages() {
    String huge = "x/".repeat(5000);
    assertThatThrownBy(() -> RegistryHosts.normalize(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300).contains("…"));
  }

  @Test
  void rejectsNull() {
    assertThat(RegistryHosts.isValid(null)).isFalse();
    assertThatThrownBy(() -> RegistryHosts.normalize(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }

  @Test
  void everyIpv4AddressIsValidAndOnlyThose() {
    Random random = new Random(7);
    for (int i = 0; i < 2000; i++) {
      int[] parts = {
        random.nextInt(300), random.nextInt(300), random.nextInt(300), random.nextInt(300)
      };
      String host = parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3];
      boolean expected = parts[0] < 256 && parts[1] < 256 && parts[2] < 256 && parts[3] < 256;
      assertThat(RegistryHosts.isValid(host)).as(host).isEqualTo(expected);
    }
  }

  @Test
  void agreesWithTheJdkOnIpv6Literals() throws Exception {
    // The JDK parses bracketed literals without any lookup; use it as an oracle for the
    // compressed forms our generator makes.
    Random random = new Random(11);
    for (int i = 0; i < 2000; i++) {
      int groups = 1 + random.nextInt(8);
      StringBuilder text = new StringBuilder();
      int compressAt = random.nextInt(groups + 2) - 1; // -1: no "::"
      for (int g = 0; g < groups; g++) {
        if (g == compressAt) {
          text.append("::");
        } else if (g > 0) {
          text.append(':');
        }
        text.append(Integer.toHexString(random.nextInt(0x10000)));
      }
      if (compressAt == groups) {
        text.append("::");
      }
      String literal = text.toString();
      boolean jdk;
      try {
        jdk = java.net.InetAddress.getByName("[" + literal + "]") instanceof java.net.Inet6Address;
      } catch (java.net.UnknownHostException e) {
        jdk = false;
      }
      assertThat(RegistryHosts.isValid("[" + literal + "]")).as(literal).isEqualTo(jdk);
    }
  }
}
