package io.acrcredential.examples;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.PodPullSecretWebhook;
import io.acrcredential.k8s.SecretClash;
import io.acrcredential.k8s.SyncFailure;
import io.acrcredential.k8s.SyncListener;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * The refresher's Prometheus metrics, written by hand in the text exposition format (version
 * 0.0.4). Labels name registries, domains, error codes and operations, never a secret.
 */
final class SyncMetrics implements SyncListener, CacheListener {

  /** Upper bounds of the reconcile-duration histogram, in seconds. */
  static final double[] BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

  private final Clock clock;
  private final Map<String, LongAdder> tokensFetched = new ConcurrentHashMap<>();
  private final Map<List<String>, LongAdder> tokenFailures = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> secretsWritten = new ConcurrentHashMap<>();
  private final LongAdder serviceAccountsPatched = new LongAdder();
  private final LongAdder namespacesSynced = new LongAdder();
  private final LongAdder namespaceFailures = new LongAdder();
  private final Map<String, LongAdder> configReloads = new ConcurrentHashMap<>();
  private final AtomicLong configErrors = new AtomicLong();
  private final Map<String, LongAdder> webhookReviews = new ConcurrentHashMap<>();
  private final Map<RegistryTarget, RegistryCredential> credentials = new ConcurrentHashMap<>();
  // namespaces whose last reconciliation failed (removed when one succeeds or leaves the scope)
  private final Map<String, Boolean> failingNamespaces = new ConcurrentHashMap<>();
  private final LongAdder secretClashes = new LongAdder();
  private final long[] bucketCounts = new long[BUCKETS.length];
  private long reconcileCount;
  private double reconcileSum;
  private volatile BooleanSupplier ready = () -> false;
  private volatile BooleanSupplier leader = () -> false;

  SyncMetrics(Clock clock) {
    this.clock = clock;
    for (String op : List.of("created", "updated", "deleted")) {
      secretsWritten.put(op, new LongAdder());
    }
    for (PodPullSecretWebhook.Outcome o : PodPullSecretWebhook.Outcome.values()) {
      webhookReviews.put(webhookResult(o), new LongAdder());
    }
  }

  void bind(BooleanSupplier ready, BooleanSupplier leader) {
    this.ready = ready;
    this.leader = leader;
  }

  /** The {@code registry} label of a target: the instance id or {@code personal}, and region. */
  static String registryLabel(RegistryTarget target) {
    return target.instanceId().orElse("personal") + "@" + target.regionId();
  }

  void tokenFetched(RegistryTarget target) {
    tokensFetched.computeIfAbsent(registryLabel(target), k -> new LongAdder()).increment();
  }

  void tokenFailed(RegistryTarget target, RuntimeException e) {
    String code =
        e instanceof TokenException t
            ? t.errorCode().orElse(t.reason().name())
            : e.getClass().getSimpleName();
    tokenFailures
        .computeIfAbsent(List.of(registryLabel(target), code), k -> new LongAdder())
        .increment();
  }

  void forget(RegistryTarget target) {
    credentials.remove(target);
  }

  void configLoaded(boolean valid, int errors) {
    configReloads.computeIfAbsent(valid ? "ok" : "invalid", k -> new LongAdder()).increment();
    configErrors.set(errors);
  }

  synchronized void reconcileCompleted(Duration took) {
    double seconds = took.toNanos() / 1e9;
    for (int i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]) {
        bucketCounts[i]++;
      }
    }
    reconcileCount++;
    reconcileSum += seconds;
  }

  @Override
  public void credentialChanged(CredentialChange change) {
    credentials.put(change.target(), change.current());
  }

  @Override
  public void namespaceSynced(NamespaceSyncResult result) {
    namespacesSynced.increment();
    secretsWritten.get("created").add(result.secretsCreated().size());
    secretsWritten.get("updated").add(result.secretsUpdated().size());
    secretsWritten.get("deleted").add(result.secretsDeleted().size());
    serviceAccountsPatched.add(result.serviceAccountsUpdated().size());
    failingNamespaces.remove(result.namespace());
  }

  @Override
  public void syncFailed(SyncFailure failure) {
    namespaceFailures.increment();
    failingNamespaces.put(failure.namespace(), Boolean.TRUE);
  }

  @Override
  public void secretClash(SecretClash clash) {
    secretClashes.increment();
  }

  @Override
  public void leadershipChanged(boolean leader) {
    if (!leader) {
      failingNamespaces.clear(); // a standby reconciles nothing: no namespace is failing here
    }
  }

  /** One AdmissionReview answered by the Pod webhook. */
  void webhookReviewed(PodPullSecretWebhook.Outcome outcome) {
    webhookReviews.get(webhookResult(outcome)).increment();
  }

  long webhookReviews(PodPullSecretWebhook.Outcome outcome) {
    return webhookReviews.get(webhookResult(outcome)).sum();
  }

  /** The {@code result} label: mutated, unchanged, error (allowed with a warning), rejected. */
  static String webhookResult(PodPullSecretWebhook.Outcome outcome) {
    return outcome.name().toLowerCase(java.util.Locale.ROOT);
  }

  long secretsWritten(String operation) {
    return secretsWritten.get(operation).sum();
  }

  long serviceAccountsPatched() {
    return serviceAccountsPatched.sum();
  }

  long tokensFetched() {
    return tokensFetched.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** The exposition text. */
  String render() {
    StringBuilder out = new StringBuilder(2048);
    header(out, "acr_credential_tokens_fetched_total", "counter", "Tokens fetched from ACR.");
    new TreeMap<>(tokensFetched)
        .forEach(
            (registry, n) ->
                sample(
                    out, "acr_credential_tokens_fetched_total", labels("registry", registry), n));
    header(
        out,
        "acr_credential_token_failures_total",
        "counter",
        "Failed token fetches, by registry and error code.");
    List<Map.Entry<List<String>, LongAdder>> failures = new ArrayList<>(tokenFailures.entrySet());
    failures.sort(
        Map.Entry.comparingByKey((a, b) -> String.join("|", a).compareTo(String.join("|", b))));
    for (var e : failures) {
      sample(
          out,
          "acr_credential_token_failures_total",
          labels("registry", e.getKey().get(0), "code", e.getKey().get(1)),
          e.getValue());
    }
    header(
        out,
        "acr_credential_secrets_written_total",
        "counter",
        "Pull Secrets written, by operation (created, updated, deleted).");
    new TreeMap<>(secretsWritten)
        .forEach(
            (op, n) ->
                sample(out, "acr_credential_secrets_written_total", labels("operation", op), n));
    header(
        out,
        "acr_credential_service_accounts_patched_total",
        "counter",
        "ServiceAccounts whose imagePullSecrets were changed.");
    sample(out, "acr_credential_service_accounts_patched_total", "", serviceAccountsPatched);
    header(
        out,
        "acr_credential_namespace_syncs_total",
        "counter",
        "Successful namespace reconciliations.");
    sample(out, "acr_credential_namespace_syncs_total", "", namespacesSynced);
    header(
        out,
        "acr_credential_namespace_sync_failures_total",
        "counter",
        "Failed namespace reconciliations (each is retried with backoff).");
    sample(out, "acr_credential_namespace_sync_failures_total", "", namespaceFailures);
    header(
        out,
        "acr_credential_namespaces_failing",
        "gauge",
        "Namespaces in scope whose last reconciliation failed (no working pull Secret there yet).");
    out.append("acr_credential_namespaces_failing ").append(failingNamespaces.size()).append('\n');
    header(
        out,
        "acr_credential_secret_clashes_total",
        "counter",
        "Pull Secret names taken by a Secret this refresher does not own (left alone, reported as"
            + " an Event).");
    sample(out, "acr_credential_secret_clashes_total", "", secretClashes);
    synchronized (this) {
      header(
          out,
          "acr_credential_reconcile_duration_seconds",
          "histogram",
          "Time from a trigger (start, leadership, configuration change, credential rotation)"
              + " until every namespace in scope was reconciled.");
      for (int i = 0; i < BUCKETS.length; i++) {
        out.append("acr_credential_reconcile_duration_seconds_bucket{le=\"")
            .append(number(BUCKETS[i]))
            .append("\"} ")
            .append(bucketCounts[i])
            .append('\n');
      }
      out.append("acr_credential_reconcile_duration_seconds_bucket{le=\"+Inf\"} ")
          .append(reconcileCount)
          .append('\n');
      out.append("acr_credential_reconcile_duration_seconds_sum ")
          .append(number(reconcileSum))
          .append('\n');
      out.append("acr_credential_reconcile_duration_seconds_count ")
          .append(reconcileCount)
          .append('\n');
    }
    header(
        out,
        "acr_credential_token_expiry_timestamp_seconds",
        "gauge",
        "When the credential held for a registry domain expires, in Unix seconds.");
    TreeMap<String, Double> expiry = new TreeMap<>();
    credentials.forEach(
        (target, credential) -> {
          double at = credential.expiresAt().toEpochMilli() / 1000.0;
          for (String domain : credential.domains()) {
            expiry.put(labels("registry", registryLabel(target), "domain", domain), at);
          }
        });
    expiry.forEach(
        (l, at) ->
            out.append("acr_credential_token_expiry_timestamp_seconds")
                .append(l)
                .append(' ')
                .append(String.format(java.util.Locale.ROOT, "%.3f", at))
                .append('\n'));
    header(
        out,
        "acr_credential_webhook_reviews_total",
        "counter",
        "Pod admission reviews answered by the webhook, by result: mutated (pull Secrets added),"
            + " unchanged (admitted as is), error (admitted as is with a warning), rejected (not a"
            + " readable AdmissionReview, HTTP 4xx).");
    new TreeMap<>(webhookReviews)
        .forEach(
            (r, n) -> sample(out, "acr_credential_webhook_reviews_total", labels("result", r), n));
    header(out, "acr_credential_config_reloads_total", "counter", "Configurations applied.");
    new TreeMap<>(configReloads)
        .forEach(
            (r, n) -> sample(out, "acr_credential_config_reloads_total", labels("result", r), n));
    header(
        out,
        "acr_credential_config_errors",
        "gauge",
        "Errors in the last configuration read (the previous value of each bad key is kept).");
    out.append("acr_credential_config_errors ").append(configErrors.get()).append('\n');
    header(out, "acr_credential_ready", "gauge", "1 when the informer caches are filled.");
    out.append("acr_credential_ready ").append(ready.getAsBoolean() ? 1 : 0).append('\n');
    header(out, "acr_credential_leader", "gauge", "1 while this replica holds the lease.");
    out.append("acr_credential_leader ").append(leader.getAsBoolean() ? 1 : 0).append('\n');
    return out.toString();
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder out, String name, String labels, LongAdder value) {
    out.append(name).append(labels).append(' ').append(value.sum()).append('\n');
  }

  static String labels(String... pairs) {
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        out.append(',');
      }
      out.append(pairs[i]).append("=\"");
      String v = pairs[i + 1];
      for (int j = 0; j < v.length(); j++) {
        char c = v.charAt(j);
        switch (c) {
          case '\\' -> out.append("\\\\");
          case '"' -> out.append("\\\"");
          case '\n' -> out.append("\\n");
          default -> out.append(c);
        }
      }
      out.append('"');
    }
    return out.append('}').toString();
  }

  private static String number(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return Double.toString(d);
  }
}
