package io.acrcredential.examples.sync;

import io.acrcredential.examples.cli.CliException;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.LastGoodConfiguration;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's configuration versions: read at start (retrying while the API server is down), each
 * version parsed with the last good value of every invalid key kept, its problems reported (log
 * lines, and an Event on the ConfigMap once per distinct set) and the token providers switched. A
 * registry that could not be looked up is tried again a minute later.
 */
final class ConfigApplier {

  // under the refresher's name, as before the split: log filters keep working
  private static final Logger LOG = LoggerFactory.getLogger(Refresher.class);

  private final Refresher.Settings settings;
  private final RegistryTokenProviders providers;
  private final SyncMetrics metrics;
  private final RefresherEvents events;
  private final ScheduledExecutorService executor;
  private final Supplier<PullSecretSync> sync;
  private final BooleanSupplier closed;
  private final LastGoodConfiguration lastGood; // guarded by this
  private volatile ConfigSource.Snapshot lastSnapshot;
  private String lastReported = ""; // guarded by this
  private ScheduledFuture<?> retryApply; // guarded by this

  /**
   * @param executor runs the retry
   * @param sync the running sync (or null), given the retried configuration
   * @param closed whether the refresher is closing
   */
  ConfigApplier(
      Refresher.Settings settings,
      RegistryTokenProviders providers,
      SyncMetrics metrics,
      RefresherEvents events,
      ScheduledExecutorService executor,
      Supplier<PullSecretSync> sync,
      BooleanSupplier closed) {
    this.settings = settings;
    this.providers = providers;
    this.metrics = metrics;
    this.events = events;
    this.executor = executor;
    this.sync = sync;
    this.closed = closed;
    this.lastGood = new LastGoodConfiguration(settings.parser());
  }

  /** The version applied last, or null. */
  ConfigSource.Snapshot last() {
    return lastSnapshot;
  }

  /** The first version; the defaults when the ConfigMap does not exist or the refresher closes. */
  ConfigSource.Snapshot loadWithRetry() {
    long delay = 1000;
    while (!closed.getAsBoolean()) {
      try {
        if (settings.source() instanceof ConfigSource.FromConfigMap cm) {
          try {
            return cm.load();
          } catch (CliException e) {
            if (e.getMessage().contains("does not exist")) {
              LOG.warn("{}; using the defaults until it is created", e.getMessage());
              return new ConfigSource.Snapshot(Map.of(), Optional.empty());
            }
            throw e;
          }
        }
        return settings.source().load();
      } catch (CliException e) {
        LOG.error("{} (retrying in {} s)", e.getMessage(), delay / 1000);
      }
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      delay = Math.min(delay * 2, 60_000);
    }
    return new ConfigSource.Snapshot(Map.of(), Optional.empty());
  }

  /**
   * Parses a configuration version, keeps the previous value of every invalid key, reports the
   * problems (log lines and Events on the ConfigMap) and switches the token providers.
   */
  synchronized AcrConfiguration apply(ConfigSource.Snapshot snapshot) {
    lastSnapshot = snapshot;
    LastGoodConfiguration.Applied applied = lastGood.apply(snapshot.data());
    ConfigParseResult parsed = applied.result();
    List<String> report = new ArrayList<>(applied.errorLines());
    // The parser cannot know whether this process serves the webhook; this refresher says so
    // itself.
    parsed.warnings().stream()
        .filter(w -> !w.location().equals(Refresher.WEBHOOK_ENABLE))
        .forEach(w -> report.add(w.toString()));
    List<String> notices = new ArrayList<>();
    if (parsed.config().webhook().enabled()
        && settings.webhook().isEmpty()
        && settings.selfIssued().isEmpty()) {
      notices.add(
          Refresher.WEBHOOK_ENABLE
              + ": true, but this refresher was started without --webhook-cert-file and"
              + " --webhook-key-file, so it serves no Pod webhook; give both (see"
              + " deploy/webhook) or set enable: false");
    }
    report.addAll(notices);
    RegistryTokenProviders.Applied providersApplied = providers.apply(parsed.config());
    List<String> problems = providersApplied.problems();
    AcrConfiguration config = providersApplied.configuration();
    report.addAll(problems);
    metrics.configLoaded(!parsed.hasErrors() && problems.isEmpty(), parsed.errors().size());
    for (String line : report) {
      LOG.warn("{}: {}", settings.source().describe(), line);
    }
    List<String> eventLines = new ArrayList<>(problems);
    eventLines.addAll(notices);
    reportEvents(snapshot, parsed, eventLines);
    if (retryApply != null) {
      retryApply.cancel(false);
      retryApply = null;
    }
    if (!problems.isEmpty() && !closed.getAsBoolean()) {
      // an instance that could not be looked up (ACR down, no permission yet): try again
      retryApply =
          executor.schedule(
              () -> {
                PullSecretSync s = sync.get();
                if (s != null && !closed.getAsBoolean()) {
                  ConfigSource.Snapshot again = lastSnapshot;
                  s.updateConfiguration(apply(again));
                }
              },
              60,
              TimeUnit.SECONDS);
    }
    LOG.info(
        "configuration: {} registr{}, namespaces {}, threshold {}",
        config.registries().size(),
        config.registries().size() == 1 ? "y" : "ies",
        describe(config.namespaces()),
        config.expiringThreshold());
    return config;
  }

  private void reportEvents(
      ConfigSource.Snapshot snapshot, ConfigParseResult parsed, List<String> problems) {
    if (snapshot.involvedObject().isEmpty()) {
      return;
    }
    List<String> lines = new ArrayList<>();
    parsed.errors().forEach(p -> lines.add(p.toString()));
    lines.addAll(problems);
    String key = String.join("\n", lines);
    if (lines.isEmpty() || key.equals(lastReported)) {
      lastReported = key;
      return;
    }
    lastReported = key;
    events.warn(snapshot, "InvalidConfiguration", String.join("; ", lines));
  }

  /** The namespace scope for the log: names or all, the selector and the exclusions if any. */
  static String describe(NamespaceScope scope) {
    StringBuilder b = new StringBuilder(scope.all() ? "all" : scope.names().toString());
    if (!scope.all()) {
      scope.selector().ifPresent(sel -> b.append(" and those labelled ").append(sel));
    }
    if (!scope.exclusions().isEmpty()) {
      b.append(" except ").append(scope.exclusions());
    }
    return b.toString();
  }
}
