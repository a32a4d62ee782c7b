package io.acrcredential.core;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CacheListener}s of one {@link CachingTokenProvider}, called in the order added. A
 * listener that throws is logged and skipped; the others still hear the event, and the cache goes
 * on.
 */
final class CacheListeners {

  /** Logged under the cache's name, where operators already look for its messages. */
  private static final Logger LOG = LoggerFactory.getLogger(CachingTokenProvider.class);

  private final List<CacheListener> listeners;

  CacheListeners(Collection<CacheListener> initial) {
    this.listeners = new CopyOnWriteArrayList<>(initial);
  }

  void add(CacheListener listener) {
    listeners.add(listener);
  }

  boolean remove(CacheListener listener) {
    return listener != null && listeners.remove(listener);
  }

  void credentialChanged(CredentialChange change) {
    each("a credential change", change.target(), listener -> listener.credentialChanged(change));
  }

  void refreshFailed(RefreshFailure event) {
    each("a refresh failure", event.target(), listener -> listener.refreshFailed(event));
  }

  private void each(String what, RegistryTarget target, Consumer<CacheListener> call) {
    for (CacheListener listener : listeners) {
      try {
        call.accept(listener);
      } catch (RuntimeException | AssertionError | LinkageError e) {
        LOG.warn(
            "Cache listener {} failed on {} for {}; ignored",
            listener.getClass().getName(),
            what,
            target.describe(),
            e);
      }
    }
  }
}
