package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.acrcredential.k8s.config.AcrConfiguration;
import io.kubernetes.client.openapi.ApiClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PullSecretSyncBuilderTest {

  private static PullSecretSyncBuilder valid() {
    return PullSecretSync.builder()
        .apiClient(new ApiClient())
        .configuration(AcrConfiguration.builder().build())
        .tokenProvider(t -> null);
  }

  @Test
  void missingRequiredSettingsAreNamed() {
    assertThatThrownBy(() -> PullSecretSync.builder().build()).hasMessageContaining("apiClient");
    assertThatThrownBy(() -> PullSecretSync.builder().apiClient(new ApiClient()).build())
        .hasMessageContaining("configuration");
    assertThatThrownBy(
            () ->
                PullSecretSync.builder()
                    .apiClient(new ApiClient())
                    .configuration(AcrConfiguration.builder().build())
                    .build())
        .hasMessageContaining("tokenProvider");
  }

  @Test
  void invalidValuesAreRejectedWithTheirName() {
    assertThatThrownBy(() -> valid().instanceName("Not_A_Label"))
        .hasMessageContaining("instanceName");
    assertThatThrownBy(() -> valid().workers(0)).hasMessageContaining("workers");
    assertThatThrownBy(() -> valid().writeRateLimit(0, 1)).hasMessageContaining("writeRateLimit");
    assertThatThrownBy(() -> valid().leaderElection("Bad Ns", "lease", null))
        .hasMessageContaining("leaseNamespace");
    assertThatThrownBy(
            () ->
                valid()
                    .leaderElectionTimings(
                        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1)))
        .hasMessageContaining("retryPeriod < renewDeadline < leaseDuration");
  }

  @Test
  void backoffDoublesUpToTheMaximum() {
    PullSecretSync sync =
        valid().retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    assertThat(sync.backoff(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(sync.backoff(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(sync.backoff(4)).isEqualTo(Duration.ofMillis(800));
    assertThat(sync.backoff(5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(sync.backoff(500)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void closeBeforeStartAndTwiceIsHarmless() {
    PullSecretSync sync = valid().build();
    sync.close();
    sync.close();
    assertThatThrownBy(sync::start).isInstanceOf(IllegalStateException.class);
  }
}
