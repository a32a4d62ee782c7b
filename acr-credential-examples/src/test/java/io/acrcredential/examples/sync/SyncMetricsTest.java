package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.examples.cli.ProgramVersion;
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

  /** The value of the one sample of {@code series} (name with its labels) in the exposition. */
  double value(String series) {
    String prefix = series + " ";
    List<String> lines = metrics.render().lines().filter(l -> l.startsWith(prefix)).toList();
    assertThat(lines).as(series).hasSize(1);
    return Double.parseDouble(lines.get(0).substring(prefix.length()));
  }

  @Test
  void failingNamespacesCountNamespacesWhoseLastReconciliationFailed() {
    assertThat(value("acr_credential_namespaces_failing")).isZero();
    metrics.syncFailed(new SyncFailure("team-a", "HTTP 403", 403, 1, Duration.ofSeconds(1)));
    metrics.syncFailed(new SyncFailure("team-a", "HTTP 403", 403, 2, Duration.ofSeconds(2)));
    metrics.syncFailed(new SyncFailure("team-b", "HTTP 500", 500, 1, Duration.ofSeconds(1)));
    assertThat(value("acr_credential_namespaces_failing")).isEqualTo(2);
    metrics.namespaceSynced(
        new NamespaceSyncResult("team-a", true, List.of("s"), List.of(), List.of(), List.of()));
    assertThat(value("acr_credential_namespaces_failing")).isEqualTo(1);
    metrics.leadershipChanged(false);
    assertThat(value("acr_credential_namespaces_failing"))
        .as("a standby reconciles nothing")
        .isZero();
  }

  @Test
  void buildInfoJvmAndProcessMetrics() {
    assertThat(value("acr_credential_build_info{version=\"" + ProgramVersion.get() + "\"}"))
        .isEqualTo(1);
    String text = metrics.render();
    assertThat(text)
        .contains("\njvm_memory_used_bytes{area=\"heap\"} ")
        .contains("\njvm_threads_current ")
        .contains("\nprocess_cpu_seconds_total ")
        .contains("\nprocess_start_time_seconds ");
    assertThat(value("acr_credential_secrets_written_total{operation=\"created\"}"))
        .as("every operation is listed from the start")
        .isZero();
  }

  @Test
  void clashesAreCounted() {
    metrics.secretClash(new SecretClash("team-a", "acr-credentials"));
    assertThat(value("acr_credential_secret_clashes_total")).isEqualTo(1);
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
    assertThat(
            value(
                "acr_credential_token_expiry_timestamp_seconds{"
                    + "domain=\"metrics-registry.cn-hangzhou.cr.aliyuncs.com\","
                    + "registry=\"cri-metrics01@cn-hangzhou\"}"))
        .isEqualTo(1_767_225_600.25);
    assertThat(metrics.render()).doesNotContain("not-in-metrics-0123");
  }
}
