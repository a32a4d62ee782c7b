package io.acrcredential.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenProviderNotificationTest {

  @Test
  void aPlainProviderAcceptsListenersButNeverCallsThem() {
    TokenProvider plain = t -> null;
    List<CredentialChange> heard = new ArrayList<>();
    CacheListener listener = CacheListener.onChange(heard::add);
    plain.addListener(listener);
    assertThat(plain.removeListener(listener)).isFalse();
    assertThat(heard).isEmpty();
    assertThatThrownBy(() -> plain.addListener(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
  }

  @Test
  void aCacheOffersTheNotificationThroughTheInterface() {
    TokenProvider cache = CachingTokenProvider.builder(t -> null).build();
    try {
      CacheListener listener = new CacheListener() {};
      cache.addListener(listener);
      assertThat(cache.removeListener(listener)).isTrue();
      assertThat(cache.removeListener(listener)).isFalse();
    } finally {
      ((CachingTokenProvider) cache).close();
    }
  }
}
