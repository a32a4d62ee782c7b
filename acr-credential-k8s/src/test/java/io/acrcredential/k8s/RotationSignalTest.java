package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenProvider;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RotationSignalTest {

  @Test
  void aSignalReachesTheSyncThroughTheProvidersOneNotificationSpi() {
    RotationSignal signal = new RotationSignal();
    TokenProvider plain =
        t -> {
          throw new TokenException(TokenException.Reason.INVALID_RESPONSE, "Test", "unused");
        };
    TokenProvider effective =
        PullSecretSync.builder()
            .tokenProvider(plain)
            .rotationSignal(signal)
            .effectiveTokenProvider();
    AtomicInteger heard = new AtomicInteger();
    CacheListener sync =
        new CacheListener() {
          @Override
          public void changeSignalled() {
            heard.incrementAndGet();
          }
        };

    effective.addListener(sync);
    signal.fire();
    assertThat(heard).hasValue(1);

    assertThat(effective.removeListener(sync)).isTrue();
    signal.fire();
    assertThat(heard).hasValue(1);
  }

  @Test
  void withoutASignalTheSyncUsesTheProviderAsGiven() {
    TokenProvider plain =
        t -> {
          throw new TokenException(TokenException.Reason.INVALID_RESPONSE, "Test", "unused");
        };
    assertThat(PullSecretSync.builder().tokenProvider(plain).effectiveTokenProvider())
        .isSameAs(plain);
  }
}
