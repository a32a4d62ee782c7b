package io.acrcredential.k8s;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenProvider;

/**
 * A token provider whose change notification also carries a {@link RotationSignal}'s: the builder
 * puts one in front of the embedder's provider, so the sync subscribes through one SPI only.
 */
record SignalledTokenProvider(TokenProvider delegate, RotationSignal signal)
    implements TokenProvider {

  @Override
  public RegistryCredential fetch(RegistryTarget target) throws TokenException {
    return delegate.fetch(target);
  }

  @Override
  public void addListener(CacheListener listener) {
    delegate.addListener(listener);
    signal.subscribe(listener);
  }

  @Override
  public boolean removeListener(CacheListener listener) {
    boolean removed = delegate.removeListener(listener);
    return signal.unsubscribe(listener) || removed;
  }
}
