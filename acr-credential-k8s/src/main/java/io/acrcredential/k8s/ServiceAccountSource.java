package io.acrcredential.k8s;

import io.kubernetes.client.informer.cache.Indexer;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.List;

/**
 * Where the reconciler reads ServiceAccounts: an informer cache over the whole cluster, over one
 * namespace, or {@link ServiceAccountInformers} choosing among such caches as the namespace scope
 * changes.
 */
interface ServiceAccountSource {

  /** The cached ServiceAccounts of a namespace; empty when this source does not cover it. */
  List<V1ServiceAccount> list(String namespace);

  /** Whether the cache behind this source has been filled. */
  boolean hasSynced();

  /** A source over one informer's indexer (cluster-wide or namespaced, whatever it holds). */
  static ServiceAccountSource of(
      Indexer<V1ServiceAccount> indexer, java.util.function.BooleanSupplier synced) {
    Lister<V1ServiceAccount> lister = new Lister<>(indexer);
    return new ServiceAccountSource() {
      @Override
      public List<V1ServiceAccount> list(String namespace) {
        return lister.namespace(namespace).list();
      }

      @Override
      public boolean hasSynced() {
        return synced.getAsBoolean();
      }
    };
  }
}
