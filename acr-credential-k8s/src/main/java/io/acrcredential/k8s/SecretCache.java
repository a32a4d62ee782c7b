package io.acrcredential.k8s;

import io.kubernetes.client.openapi.models.V1Secret;
import java.util.List;

/** Cached view of this instance's pull Secrets, as the informers last saw them. */
interface SecretCache {

  /** The cached Secret, or null when none is known. */
  V1Secret get(String namespace, String name);

  /** Every cached Secret in a namespace. */
  List<V1Secret> list(String namespace);
}
