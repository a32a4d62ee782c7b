package io.acrcredential.core;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    for (CacheListener listener : listeners) {
      try {
        listener.credentialChanged(change);
      } catch (RuntimeException | AssertionError | LinkageError e) {
        LOG.warn(
            "Cache listener {} failed on a credential change for {}; ignored",
            listener.getClass().getName(),
            change.target().describe(),
            e);
      }
    }
  }

  void refreshFailed(RefreshFailure event) {
    for (CacheListener listener : listeners) {
      try {
        listener.refreshFailed(event);
      } catch (RuntimeException | AssertionError | LinkageError e) {
        LOG.warn(
            "Cache listener {} failed on a refresh failure for {}; ignored",
            listener.getClass().getName(),
            event.target().describe(),
            e);
      }
    }
  }
}
