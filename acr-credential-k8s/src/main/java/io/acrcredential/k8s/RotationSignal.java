package io.acrcredential.k8s;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tells a {@link PullSecretSync} that credentials changed when its token provider offers no change
 * notification of its own ({@link io.acrcredential.core.TokenProvider#addListener}): register the
 * signal as a listener of whatever knows of rotations, or call {@link #fire()}, and pass it to
 * {@link PullSecretSyncBuilder#rotationSignal(RotationSignal)}. The sync then hears of changes
 * through the provider's one notification SPI, like from any cache.
 *
 * <p>The callback only hands the event to the sync's own thread, so it never delays the caller.
 */
public final class RotationSignal implements CacheListener {

  private final List<CacheListener> subscribers = new CopyOnWriteArrayList<>();

  /** Creates a signal with no subscriber yet. */
  public RotationSignal() {}

  @Override
  public void credentialChanged(CredentialChange change) {
    for (CacheListener l : subscribers) {
      l.credentialChanged(change);
    }
  }

  @Override
  public void changeSignalled() {
    fire();
  }

  /** Tells every subscribed sync that credentials changed (for providers that are no cache). */
  public void fire() {
    for (CacheListener l : subscribers) {
      l.changeSignalled();
    }
  }

  void subscribe(CacheListener subscriber) {
    subscribers.add(Objects.requireNonNull(subscriber, "subscriber"));
  }

  boolean unsubscribe(CacheListener subscriber) {
    return subscribers.remove(subscriber);
  }

  @Override
  public String toString() {
    return "RotationSignal[" + subscribers.size() + " subscriber(s)]";
  }
}
