package io.acrcredential.k8s;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tells a {@link PullSecretSync} that credentials changed when its token provider is not itself a
 * {@link io.acrcredential.core.CachingTokenProvider} (a sync subscribes to one of those directly):
 * for example a provider that routes targets to several caches. Register the signal as a listener
 * of each cache, or call {@link #fire()}, and pass it to {@link
 * PullSecretSync.Builder#rotationSignal(RotationSignal)}; every change then rewrites the pull
 * Secrets in all namespaces at once.
 *
 * <p>The callback only hands the event to the sync's own thread, so it never delays the cache.
 */
public final class RotationSignal implements CacheListener {

  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();

  /** Creates a signal with no subscriber yet. */
  public RotationSignal() {}

  @Override
  public void credentialChanged(CredentialChange change) {
    fire();
  }

  /** Tells every subscribed sync that credentials changed (for providers that are no cache). */
  public void fire() {
    for (Runnable r : subscribers) {
      r.run();
    }
  }

  void subscribe(Runnable subscriber) {
    subscribers.add(Objects.requireNonNull(subscriber, "subscriber"));
  }

  void unsubscribe(Runnable subscriber) {
    subscribers.remove(subscriber);
  }

  @Override
  public String toString() {
    return "RotationSignal[" + subscribers.size() + " subscriber(s)]";
  }
}
