package io.acrcredential.k8s;

import io.kubernetes.client.openapi.models.V1Secret;
import java.util.Map;

/**
 * The one comparison that decides "no write needed": whether a Secret already holds exactly what
 * the sync would write for a {@link DesiredSecret} (type, the single {@code .dockerconfigjson}
 * entry, this instance's labels, the expiry and domain annotations). The reconciler asks it of the
 * cached object (whose data is a {@link SecretDigest}); reading stored tokens back after a restart
 * asks it of the live object.
 */
final class SecretContent {

  static final String SECRET_TYPE = "kubernetes.io/dockerconfigjson";
  static final String DATA_KEY = ".dockerconfigjson";

  private SecretContent() {}

  /** The annotations written with {@code d}. */
  static Map<String, String> annotations(DesiredSecret d) {
    return Map.of(
        Markers.EXPIRES_ANNOTATION, d.expiresAt().toString(),
        Markers.DOMAINS_ANNOTATION, String.join(",", d.domains()));
  }

  /** Whether {@code s} holds what writing {@code d} with {@code labels} would put there. */
  static boolean holds(V1Secret s, DesiredSecret d, Map<String, String> labels) {
    if (s == null || s.getMetadata() == null) {
      return false;
    }
    if (!SECRET_TYPE.equals(s.getType()) || Boolean.TRUE.equals(s.getImmutable())) {
      return false;
    }
    // The informer cache keeps a digest of the data, not the bytes: SecretDigest compares either.
    if (!SecretDigest.holds(s, d)) {
      return false;
    }
    return containsAll(s.getMetadata().getLabels(), labels)
        && containsAll(s.getMetadata().getAnnotations(), annotations(d));
  }

  private static boolean containsAll(Map<String, String> actual, Map<String, String> wanted) {
    if (actual == null) {
      return wanted.isEmpty();
    }
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      if (!e.getValue().equals(actual.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
