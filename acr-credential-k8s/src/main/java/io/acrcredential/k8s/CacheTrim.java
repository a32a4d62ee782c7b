package io.acrcredential.k8s;

import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The transforms the sync's own informers apply before an object enters their cache, so that the
 * caches hold what the sync reads and little else. What each keeps follows from what is read and
 * what is written back:
 *
 * <ul>
 *   <li><b>Namespace</b>: name, uid, resourceVersion, labels, deletionTimestamp (the scope, the
 *       reconciler and its Events read nothing else, and a Namespace is never written).
 *   <li><b>ServiceAccount</b>: everything but {@code managedFields}, {@code creationTimestamp} and
 *       {@code uid}: an update is a PUT of the cached object with the edited {@code
 *       imagePullSecrets}, which must not drop fields others set. The API server keeps the stored
 *       {@code managedFields} when an update carries none, and ignores the other two.
 *   <li><b>Secret</b>: the same (its {@code uid} kept: deletions are conditional on it), with its
 *       data replaced by a digest ({@link SecretDigest}): no token in the cache.
 * </ul>
 *
 * Repeated strings (namespace names, label and annotation keys and values, pull Secret names) are
 * interned, and equal label and annotation maps and {@code imagePullSecrets} lists, which most of
 * the sync's objects have, are one shared immutable instance (weakly held here): the cached objects
 * are read, never changed (a write starts from a copy). Empty collections become null (the same to
 * the API server; the generated model starts every collection as an empty one of its own). A
 * transform that gets another type (a deletion whose final state is unknown) passes it through.
 * Informers of an embedder's factory are never given a transform: their objects are the embedder's.
 */
final class CacheTrim {

  private static final WeakHashMap<Object, WeakReference<Object>> SHARED = new WeakHashMap<>();

  private CacheTrim() {}

  /** For the namespace informer. */
  static final TransformFunc NAMESPACES = o -> o instanceof V1Namespace ns ? namespace(ns) : o;

  /** For the ServiceAccount informers. */
  static final TransformFunc SERVICE_ACCOUNTS =
      o -> o instanceof V1ServiceAccount sa ? serviceAccount(sa) : o;

  /** For the Secret informers. */
  static final TransformFunc SECRETS = o -> o instanceof V1Secret s ? SecretDigest.trim(s) : o;

  /**
   * The transform for the sync's own informers of this type (null for another type), also applied
   * by {@link ReleasingListerWatcher} to each listed item as it is decoded. Each transform is
   * idempotent: an object trimmed already comes out the same.
   */
  static TransformFunc forType(Class<?> type) {
    if (type == V1Namespace.class) {
      return NAMESPACES;
    }
    if (type == V1ServiceAccount.class) {
      return SERVICE_ACCOUNTS;
    }
    return type == V1Secret.class ? SECRETS : null;
  }

  static V1Namespace namespace(V1Namespace ns) {
    V1ObjectMeta m = ns.getMetadata();
    if (m == null) {
      return ns;
    }
    Map<String, String> labels = internedCopy(m.getLabels());
    return new V1Namespace()
        .metadata(
            new V1ObjectMeta()
                .name(intern(m.getName()))
                .uid(m.getUid()) // the involved object of the Events about a namespace
                .resourceVersion(m.getResourceVersion())
                // unique per namespace (kubernetes.io/metadata.name): compact, not shared
                .labels(labels == null ? Map.of() : Map.copyOf(labels))
                .deletionTimestamp(m.getDeletionTimestamp())
                .annotations(null)
                .finalizers(null)
                .managedFields(null)
                .ownerReferences(null));
  }

  static V1ServiceAccount serviceAccount(V1ServiceAccount sa) {
    trimMetadata(sa.getMetadata());
    if (sa.getMetadata() != null) {
      sa.getMetadata().setUid(null);
    }
    sa.setApiVersion(intern(sa.getApiVersion()));
    sa.setKind(intern(sa.getKind()));
    if (sa.getSecrets() != null && sa.getSecrets().isEmpty()) {
      sa.setSecrets(null);
    }
    List<V1LocalObjectReference> refs = sa.getImagePullSecrets();
    if (refs != null) {
      List<V1LocalObjectReference> copy = new ArrayList<>(refs.size());
      for (V1LocalObjectReference r : refs) {
        copy.add(r == null ? null : shared(new V1LocalObjectReference().name(intern(r.getName()))));
      }
      sa.setImagePullSecrets(copy.isEmpty() ? null : shared(List.copyOf(copy)));
    }
    return sa;
  }

  /**
   * Drops {@code managedFields} and {@code creationTimestamp}, interns the repeated strings, shares
   * equal maps and replaces empty collections with null; changes {@code m}.
   */
  static void trimMetadata(V1ObjectMeta m) {
    if (m == null) {
      return;
    }
    m.setManagedFields(null);
    m.setCreationTimestamp(null);
    if (m.getFinalizers() != null && m.getFinalizers().isEmpty()) {
      m.setFinalizers(null);
    }
    if (m.getOwnerReferences() != null && m.getOwnerReferences().isEmpty()) {
      m.setOwnerReferences(null);
    }
    m.setNamespace(intern(m.getNamespace()));
    m.setName(intern(m.getName()));
    m.setLabels(sharedMap(m.getLabels()));
    m.setAnnotations(sharedMap(m.getAnnotations()));
  }

  static String intern(String s) {
    return s == null ? null : s.intern();
  }

  /** An immutable map with interned keys and values, one instance for equal maps; null if empty. */
  private static Map<String, String> sharedMap(Map<String, String> map) {
    Map<String, String> copy = internedCopy(map);
    return copy == null ? null : shared(Map.copyOf(copy));
  }

  private static Map<String, String> internedCopy(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return null;
    }
    Map<String, String> copy = new HashMap<>((int) (map.size() / 0.75f) + 1);
    map.forEach((k, v) -> copy.put(intern(k), intern(v)));
    return copy;
  }

  /** The instance equal to {@code value} that is already shared, else {@code value} itself. */
  @SuppressWarnings("unchecked")
  private static <T> T shared(T value) {
    synchronized (SHARED) {
      WeakReference<Object> ref = SHARED.get(value);
      Object existing = ref == null ? null : ref.get();
      if (existing != null) {
        return (T) existing;
      }
      SHARED.put(value, new WeakReference<>(value));
      return value;
    }
  }
}
