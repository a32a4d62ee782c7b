package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.SecretClash;
import io.acrcredential.k8s.SyncFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The series the alerting rules (deploy/helm/acr-credential/files/alerts.yaml) are built on. */
class SyncMetricsTest {

  private final SyncMetrics metrics = new SyncMetrics(Clock.systemUTC());

  @Test
  void failingNamespacesCountNamespacesWhoseLastReconciliationFailed() {
    assertThat(metrics.render()).contains("\nacr_credential_namespaces_failing 0\n");
    metrics.syncFailed(new SyncFailure("team-a", "HTTP 403", 403, 1, Duration.ofSeconds(1)));
    metrics.syncFailed(new SyncFailure("team-a", "HTTP 403", 403, 2, Duration.ofSeconds(2)));
    metrics.syncFailed(new SyncFailure("team-b", "HTTP 500", 500, 1, Duration.ofSeconds(1)));
    assertThat(metrics.render()).contains("\nacr_credential_namespaces_failing 2\n");
    metrics.namespaceSynced(
        new NamespaceSyncResult("team-a", true, List.of("s"), List.of(), List.of(), List.of()));
    assertThat(metrics.render()).contains("\nacr_credential_namespaces_failing 1\n");
    metrics.leadershipChanged(false);
    assertThat(metrics.render())
        .as("a standby reconciles nothing")
        .contains("\nacr_credential_namespaces_failing 0\n");
  }

  @Test
  void clashesAreCounted() {
    metrics.secretClash(new SecretClash("team-a", "acr-credentials"));
    assertThat(metrics.render()).contains("\nacr_credential_secret_clashes_total 1\n");
  }

  @Test
  void tokenExpiryIsAUnixTimestamp() {
    RegistryTarget target = RegistryTarget.enterprise("cn-hangzhou", "cri-metrics01");
    metrics.credentialChanged(
        new CredentialChange(
            target,
            Optional.empty(),
            new RegistryCredential(
                "cr_temp_user",
                "not-in-metrics-0123",
                Instant.ofEpochMilli(1_767_225_600_250L),
                List.of("metrics-registry.cn-hangzhou.cr.aliyuncs.com"))));
    assertThat(metrics.render())
        .contains(
            "\nacr_credential_token_expiry_timestamp_seconds{registry=\"cri-metrics01@cn-hangzhou\","
                + "domain=\"metrics-registry.cn-hangzhou.cr.aliyuncs.com\"} 1767225600.250\n")
        .doesNotContain("not-in-metrics-0123");
  }
}
