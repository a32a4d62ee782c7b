package io.acrcredential.k8s;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One pull Secret as it should be: name, {@code .dockerconfigjson} bytes, the domains it holds and
 * when its earliest credential expires. {@link #toString()} never shows the bytes.
 */
record DesiredSecret(
    String name, byte[] dockerConfigJson, List<String> domains, Instant expiresAt) {

  DesiredSecret {
    Objects.requireNonNull(name, "name");
    dockerConfigJson = dockerConfigJson.clone();
    domains = List.copyOf(domains);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  @Override
  public byte[] dockerConfigJson() {
    return dockerConfigJson.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DesiredSecret d
        && name.equals(d.name)
        && Arrays.equals(dockerConfigJson, d.dockerConfigJson)
        && domains.equals(d.domains)
        && expiresAt.equals(d.expiresAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(dockerConfigJson), domains, expiresAt);
  }

  @Override
  public String toString() {
    return "DesiredSecret[" + name + ", domains=" + domains + ", expiresAt=" + expiresAt + "]";
  }
}
