package io.acrcredential.core;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Learns what a {@link TokenProvider} that offers change notification ({@link
 * TokenProvider#addListener}) does: when a key's credential changed (for example to rewrite a
 * Kubernetes Secret) and when a fetch failed (for events and metrics). {@link CachingTokenProvider}
 * is the main such provider; the call guarantees below are its.
 *
 * <p>Both methods do nothing by default, so an implementation overrides only what it needs; {@link
 * #onChange(Consumer)} and {@link #onFailure(Consumer)} adapt a lambda.
 *
 * <p>Calls for one key never overlap and arrive in the order the cache saw the outcomes. They run
 * on the thread that completed the fetch (a caller of {@link CachingTokenProvider#fetch} or the
 * cache's refresher thread), after the callers waiting for that fetch were released, but before the
 * next fetch of the same key can start; a slow listener therefore delays that key's next refresh,
 * so hand long work to your own executor. An exception thrown by a listener is logged and otherwise
 * ignored: it never changes what the cache serves.
 */
public interface CacheListener {

  /**
   * The credential served for a key was replaced by a different one (also called for a key's first
   * credential). Not called when a refresh returns an equal credential.
   *
   * @param change the key, the previous and the new credential
   */
  default void credentialChanged(CredentialChange change) {}

  /**
   * A fetch of a key failed, whether a caller or the background refresher started it.
   *
   * @param failure the key, the exception, whether a valid credential is still served and until
   *     when, and when the cache tries again
   */
  default void refreshFailed(RefreshFailure failure) {}

  /**
   * Credentials may have changed, but the source cannot say which: a provider that is told of a
   * rotation from outside (for example a Kubernetes adapter's rotation signal). Consumers fetch
   * again. Never called by {@link CachingTokenProvider}, which reports each change.
   */
  default void changeSignalled() {}

  /**
   * A listener for credential changes only.
   *
   * @param action called with each change
   * @return the listener
   */
  static CacheListener onChange(Consumer<? super CredentialChange> action) {
    Objects.requireNonNull(action, "action");
    return new CacheListener() {
      @Override
      public void credentialChanged(CredentialChange change) {
        action.accept(change);
      }
    };
  }

  /**
   * A listener for failed fetches only.
   *
   * @param action called with each failure
   * @return the listener
   */
  static CacheListener onFailure(Consumer<? super RefreshFailure> action) {
    Objects.requireNonNull(action, "action");
    return new CacheListener() {
      @Override
      public void refreshFailed(RefreshFailure failure) {
        action.accept(failure);
      }
    };
  }
}
