package io.acrcredential.k8s;

import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.HashMap;
import java.util.Map;

/**
 * The transforms the sync's own informers apply before an object enters their cache, so that the
 * caches hold what the sync reads and little else. What each keeps follows from what is read and
 * what is written back:
 *
 * <ul>
 *   <li><b>Namespace</b>: name, uid, resourceVersion, labels, deletionTimestamp (the scope and the
 *       reconciler read nothing else, and a Namespace is never written).
 *   <li><b>ServiceAccount</b>: everything but {@code managedFields}: an update is a PUT of the
 *       cached object with the edited {@code imagePullSecrets}, which must not drop fields others
 *       set. The API server keeps the stored {@code managedFields} when an update carries none.
 *   <li><b>Secret</b>: everything but {@code managedFields}, with its data replaced by a digest
 *       ({@link SecretDigest}): no token in the cache.
 * </ul>
 *
 * Repeated strings (namespace names, label and annotation keys and values, pull Secret names) are
 * interned, so that thousands of objects share one copy of each. A transform that gets another type
 * (a deletion whose final state is unknown) passes it through. Informers of an embedder's factory
 * are never given a transform: their objects are the embedder's.
 */
final class CacheTrim {

  private CacheTrim() {}

  /** For the namespace informer. */
  static final TransformFunc NAMESPACES = o -> o instanceof V1Namespace ns ? namespace(ns) : o;

  /** For the ServiceAccount informers. */
  static final TransformFunc SERVICE_ACCOUNTS =
      o -> o instanceof V1ServiceAccount sa ? serviceAccount(sa) : o;

  /** For the Secret informers. */
  static final TransformFunc SECRETS = o -> o instanceof V1Secret s ? SecretDigest.trim(s) : o;

  static V1Namespace namespace(V1Namespace ns) {
    V1ObjectMeta m = ns.getMetadata();
    if (m == null) {
      return ns;
    }
    Map<String, String> labels = intern(m.getLabels());
    return new V1Namespace()
        .metadata(
            new V1ObjectMeta()
                .name(intern(m.getName()))
                .uid(m.getUid())
                .resourceVersion(m.getResourceVersion())
                .labels(labels == null ? Map.of() : labels)
                .deletionTimestamp(m.getDeletionTimestamp())
                // the generated model starts every collection as an empty one of its own
                .annotations(null)
                .finalizers(null)
                .managedFields(null)
                .ownerReferences(null));
  }

  static V1ServiceAccount serviceAccount(V1ServiceAccount sa) {
    trimMetadata(sa.getMetadata());
    if (sa.getSecrets() != null && sa.getSecrets().isEmpty()) {
      sa.setSecrets(null); // the same to the API server, and no empty list per object
    }
    if (sa.getImagePullSecrets() != null) {
      for (V1LocalObjectReference r : sa.getImagePullSecrets()) {
        r.setName(intern(r.getName()));
      }
    }
    return sa;
  }

  /**
   * Drops {@code managedFields}, interns the repeated strings and replaces empty collections with
   * null (the same to the API server: the generated model starts every collection as an empty one
   * of its own, five per object); changes {@code m}.
   */
  static void trimMetadata(V1ObjectMeta m) {
    if (m == null) {
      return;
    }
    m.setManagedFields(null);
    if (m.getFinalizers() != null && m.getFinalizers().isEmpty()) {
      m.setFinalizers(null);
    }
    if (m.getOwnerReferences() != null && m.getOwnerReferences().isEmpty()) {
      m.setOwnerReferences(null);
    }
    m.setNamespace(intern(m.getNamespace()));
    m.setName(intern(m.getName()));
    m.setLabels(intern(m.getLabels()));
    m.setAnnotations(intern(m.getAnnotations()));
  }

  private static String intern(String s) {
    return s == null ? null : s.intern();
  }

  /** A copy with interned keys and values; null when empty. */
  private static Map<String, String> intern(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return null;
    }
    Map<String, String> copy = new HashMap<>((int) (map.size() / 0.75f) + 1);
    map.forEach((k, v) -> copy.put(intern(k), intern(v)));
    return copy;
  }
}
