package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.acr.AcrDomains;
import io.acrcredential.core.acr.AcrHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shipped CredentialProviderConfig matches every ACR registry host form, by kubelet rules. */
class SampleConfigTest {

  static final Path CONFIG = Path.of("src/main/deploy/credential-provider-config.yaml");

  static List<String> matchImages() throws Exception {
    List<String> patterns = new ArrayList<>();
    boolean inList = false;
    for (String line : Files.readAllLines(CONFIG)) {
      String t = line.strip();
      if (t.startsWith("matchImages:")) {
        inList = true;
      } else if (inList && t.startsWith("- \"")) {
        patterns.add(t.substring(3, t.length() - 1));
      } else if (inList && !t.startsWith("#") && !t.isEmpty()) {
        inList = false;
      }
    }
    return patterns;
  }

  /** The kubelet's rule: same number of labels, '*' within one label, the port must be equal. */
  static boolean matches(String pattern, String host) {
    String[] p = pattern.split(":", 2);
    String[] h = host.split(":", 2);
    if (p.length != h.length || (p.length == 2 && !p[1].equals(h[1]))) {
      return false;
    }
    String[] pl = p[0].split("\\.");
    String[] hl = h[0].split("\\.");
    if (pl.length != hl.length) {
      return false;
    }
    for (int i = 0; i < pl.length; i++) {
      String regex = Pattern.quote(pl[i]).replace("*", "\\E[^.]*\\Q");
      if (!hl[i].matches(regex)) {
        return false;
      }
    }
    return true;
  }

  @Test
  void everyAcrHostFormIsMatched() throws Exception {
    List<String> patterns = matchImages();
    assertThat(patterns).hasSizeGreaterThanOrEqualTo(4);
    List<String> hosts = new ArrayList<>();
    for (String region : List.of("cn-hangzhou", "ap-southeast-1")) {
      hosts.addAll(AcrDomains.personalAll(region));
      hosts.addAll(AcrDomains.personalInstance("crpi-abc123", region));
      hosts.addAll(AcrDomains.enterprise("myco", region));
      hosts.add("myco-registry-vpc.distributed." + region + ".cr.aliyuncs.com:65001");
    }
    for (String host : hosts) {
      assertThat(AcrHost.parse(host)).as(host).isPresent();
      assertThat(patterns.stream().anyMatch(p -> matches(p, host))).as(host).isTrue();
    }
    assertThat(patterns.stream().anyMatch(p -> matches(p, "docker.io"))).isFalse();
    assertThat(matches("*.distributed.*.cr.aliyuncs.com:65001", "a.distributed.b.cr.aliyuncs.com"))
        .isFalse();
  }
}
