package io.acrcredential.examples.sync;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.cli.ProgramVersion;
import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.SecretClash;
import io.acrcredential.k8s.SyncFailure;
import io.acrcredential.k8s.SyncListener;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The refresher's Prometheus metrics, on the Prometheus Java client (its registry, metric types and
 * text exposition), with the client's JVM and process metrics and {@code
 * acr_credential_build_info}. Labels name registries, domains, error codes and operations, never a
 * secret.
 */
public final class SyncMetrics
    implements SyncListener, CacheListener, RegistryTokenProviders.Listener {

  /** Upper bounds of the reconcile-duration histogram, in seconds. */
  static final double[] BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

  static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private final PrometheusRegistry registry;
  private final Counter tokensFetched;
  private final Counter tokenFailures;
  private final Counter secretsWritten;
  private final Counter serviceAccountsPatched;
  private final Counter namespacesSynced;
  private final Counter namespaceFailures;
  private final Counter secretClashes;
  private final Counter configReloads;
  private final Gauge configErrors;
  private final Counter webhookReviews;
  private final Histogram reconcileDuration;
  private final Map<RegistryTarget, RegistryCredential> credentials = new ConcurrentHashMap<>();
  // namespaces whose last reconciliation failed (removed when one succeeds or leaves the scope)
  private final Map<String, Boolean> failingNamespaces = new ConcurrentHashMap<>();
  private volatile BooleanSupplier ready = () -> false;
  private volatile BooleanSupplier leader = () -> false;

  /** Metrics in a registry of their own, with the JVM and process metrics. */
  public SyncMetrics(Clock clock) {
    this(new PrometheusRegistry(), true);
  }

  /**
   * Metrics registered in {@code registry} (an embedder's own); {@code jvm}: also register the
   * client's JVM and process metrics there.
   */
  public SyncMetrics(PrometheusRegistry registry, boolean jvm) {
    this.registry = registry;
    if (jvm) {
      JvmMetrics.builder().register(registry);
    }
    Info.builder()
        .name("acr_credential_build_info")
        .help("The running acr-credential version.")
        .labelNames("version")
        .register(registry)
        .setLabelValues(ProgramVersion.get());
    tokensFetched =
        Counter.builder()
            .name("acr_credential_tokens_fetched_total")
            .help("Tokens fetched from ACR.")
            .labelNames("registry")
            .register(registry);
    tokenFailures =
        Counter.builder()
            .name("acr_credential_token_failures_total")
            .help("Failed token fetches, by registry and error code.")
            .labelNames("registry", "code")
            .register(registry);
    secretsWritten =
        Counter.builder()
            .name("acr_credential_secrets_written_total")
            .help("Pull Secrets written, by operation (created, updated, deleted).")
            .labelNames("operation")
            .register(registry);
    for (String op : List.of("created", "updated", "deleted")) {
      secretsWritten.labelValues(op);
    }
    serviceAccountsPatched =
        Counter.builder()
            .name("acr_credential_service_accounts_patched_total")
            .help("ServiceAccounts whose imagePullSecrets were changed.")
            .register(registry);
    namespacesSynced =
        Counter.builder()
            .name("acr_credential_namespace_syncs_total")
            .help("Successful namespace reconciliations.")
            .register(registry);
    namespaceFailures =
        Counter.builder()
            .name("acr_credential_namespace_sync_failures_total")
            .help("Failed namespace reconciliations (each is retried with backoff).")
            .register(registry);
    GaugeWithCallback.builder()
        .name("acr_credential_namespaces_failing")
        .help(
            "Namespaces in scope whose last reconciliation failed (no working pull Secret there"
                + " yet).")
        .callback(cb -> cb.call(failingNamespaces.size()))
        .register(registry);
    secretClashes =
        Counter.builder()
            .name("acr_credential_secret_clashes_total")
            .help(
                "Pull Secret names taken by a Secret this refresher does not own (left alone,"
                    + " reported as an Event).")
            .register(registry);
    reconcileDuration =
        Histogram.builder()
            .name("acr_credential_reconcile_duration_seconds")
            .help(
                "Time from a trigger (start, leadership, configuration change, credential"
                    + " rotation) until every namespace in scope was reconciled.")
            .classicOnly()
            .classicUpperBounds(BUCKETS)
            .register(registry);
    GaugeWithCallback.builder()
        .name("acr_credential_token_expiry_timestamp_seconds")
        .help("When the credential held for a registry domain expires, in Unix seconds.")
        .labelNames("registry", "domain")
        .callback(
            cb ->
                credentials.forEach(
                    (target, credential) -> {
                      double at = credential.expiresAt().toEpochMilli() / 1000.0;
                      for (String domain : credential.domains()) {
                        cb.call(at, registryLabel(target), domain);
                      }
                    }))
        .register(registry);
    webhookReviews =
        Counter.builder()
            .name("acr_credential_webhook_reviews_total")
            .help(
                "Pod admission reviews answered by the webhook, by result: mutated (pull Secrets"
                    + " added), unchanged (admitted as is), error (admitted as is with a warning),"
                    + " rejected (not a readable AdmissionReview, HTTP 4xx).")
            .labelNames("result")
            .register(registry);
    for (PodPullSecretWebhook.Outcome o : PodPullSecretWebhook.Outcome.values()) {
      webhookReviews.labelValues(webhookResult(o));
    }
    configReloads =
        Counter.builder()
            .name("acr_credential_config_reloads_total")
            .help("Configurations applied.")
            .labelNames("result")
            .register(registry);
    configErrors =
        Gauge.builder()
            .name("acr_credential_config_errors")
            .help(
                "Errors in the last configuration read (the previous value of each bad key is"
                    + " kept).")
            .register(registry);
    GaugeWithCallback.builder()
        .name("acr_credential_ready")
        .help("1 when the informer caches are filled.")
        .callback(cb -> cb.call(ready.getAsBoolean() ? 1 : 0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("acr_credential_leader")
        .help("1 while this replica holds the lease.")
        .callback(cb -> cb.call(leader.getAsBoolean() ? 1 : 0))
        .register(registry);
  }

  void bind(BooleanSupplier ready, BooleanSupplier leader) {
    this.ready = ready;
    this.leader = leader;
  }

  /** The registry these metrics live in. */
  PrometheusRegistry registry() {
    return registry;
  }

  /** The {@code registry} label of a target: the instance id or {@code personal}, and region. */
  static String registryLabel(RegistryTarget target) {
    return target.instanceId().orElse("personal") + "@" + target.regionId();
  }

  @Override
  public void tokenFetched(RegistryTarget target) {
    tokensFetched.labelValues(registryLabel(target)).inc();
  }

  @Override
  public void tokenFailed(RegistryTarget target, RuntimeException e) {
    String code =
        e instanceof TokenException t
            ? t.errorCode().orElse(t.reason().name())
            : e.getClass().getSimpleName();
    tokenFailures.labelValues(registryLabel(target), code).inc();
  }

  @Override
  public void credentialDropped(RegistryTarget target) {
    credentials.remove(target);
  }

  void configLoaded(boolean valid, int errors) {
    configReloads.labelValues(valid ? "ok" : "invalid").inc();
    configErrors.set(errors);
  }

  void reconcileCompleted(Duration took) {
    reconcileDuration.observe(took.toNanos() / 1e9);
  }

  @Override
  public void credentialChanged(CredentialChange change) {
    credentials.put(change.target(), change.current());
  }

  @Override
  public void namespaceSynced(NamespaceSyncResult result) {
    namespacesSynced.inc();
    secretsWritten.labelValues("created").inc(result.secretsCreated().size());
    secretsWritten.labelValues("updated").inc(result.secretsUpdated().size());
    secretsWritten.labelValues("deleted").inc(result.secretsDeleted().size());
    serviceAccountsPatched.inc(result.serviceAccountsUpdated().size());
    failingNamespaces.remove(result.namespace());
  }

  @Override
  public void syncFailed(SyncFailure failure) {
    namespaceFailures.inc();
    failingNamespaces.put(failure.namespace(), Boolean.TRUE);
  }

  @Override
  public void secretClash(SecretClash clash) {
    secretClashes.inc();
  }

  @Override
  public void leadershipChanged(boolean leader) {
    if (!leader) {
      failingNamespaces.clear(); // a standby reconciles nothing: no namespace is failing here
    }
  }

  /** One AdmissionReview answered by the Pod webhook. */
  void webhookReviewed(PodPullSecretWebhook.Outcome outcome) {
    webhookReviews.labelValues(webhookResult(outcome)).inc();
  }

  long webhookReviews(PodPullSecretWebhook.Outcome outcome) {
    return (long) webhookReviews.labelValues(webhookResult(outcome)).get();
  }

  /** The {@code result} label: mutated, unchanged, error (allowed with a warning), rejected. */
  static String webhookResult(PodPullSecretWebhook.Outcome outcome) {
    return outcome.name().toLowerCase(Locale.ROOT);
  }

  long secretsWritten(String operation) {
    return (long) secretsWritten.labelValues(operation).get();
  }

  long serviceAccountsPatched() {
    return (long) serviceAccountsPatched.get();
  }

  long tokensFetched() {
    return (long)
        tokensFetched.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  String render() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
