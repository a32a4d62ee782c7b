package io.acrcredential.examples.sync;

import io.acrcredential.core.CacheListener;
import io.acrcredential.core.CredentialChange;
import io.acrcredential.core.RefreshFailure;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.cli.AcrEndpoints;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.util.TokenFailures;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.PullSecretSyncBuilder;
import io.acrcredential.k8s.SyncListener;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.ConfigProblem;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NamespaceList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refresher assembled: configuration source, token providers behind one cache, the Kubernetes
 * sync, metrics and pass tracking. {@code sync} runs it as a daemon or once; {@code demo} runs it
 * in-process against the fakes. Configuration versions are applied by {@link ConfigApplier}, the
 * Pod webhook and its registration kept by {@link WebhookServing}, Events recorded by {@link
 * RefresherEvents}; this class starts and stops them and follows the reconcile passes.
 */
final class Refresher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Refresher.class);
  static final String COMPONENT = "acr-credential";
  static final String WEBHOOK_ENABLE = AcrConfigParser.WEBHOOK_CONFIGURATION + ".enable";

  /** Namespaces per list request when the refresher counts the namespaces in scope. */
  static final int NAMESPACE_PAGE = 500;

  /**
   * What the refresher needs.
   *
   * @param api the client for reads and writes
   * @param informerApi a second client for the sync's informers and the ConfigMap watch
   * @param source where the configuration comes from
   * @param parser the ConfigMap parser (knows the cluster region or not)
   * @param endpoints ACR/STS/metadata endpoint overrides
   * @param env environment variables for the default credential chain and RRSA
   * @param clock the clock
   * @param lease leader election, or empty
   * @param instance the sync instance name (labels on its Secrets)
   * @param resyncPeriod full resync period of the sync
   * @param extraListeners more sync listeners (the demo prints with one)
   * @param writeRate the write limit, or empty for the library's default
   * @param webhook where to serve the Pod webhook and its certificate, or empty: then {@code
   *     webhook-configuration.enable: true} only gives a warning
   * @param registration the MutatingWebhookConfiguration entry whose failure policy and timeout the
   *     leader keeps equal to the configuration while the webhook is served, or empty
   * @param selfIssued the webhook with the refresher's own certificate and registration, used when
   *     {@code webhook} (certificate files) is empty, or empty
   */
  record Settings(
      ApiClient api,
      ApiClient informerApi,
      ConfigSource source,
      AcrConfigParser parser,
      AcrEndpoints endpoints,
      Map<String, String> env,
      Clock clock,
      Optional<Lease> lease,
      String instance,
      Duration resyncPeriod,
      List<SyncListener> extraListeners,
      Optional<WriteRate> writeRate,
      Optional<WebhookServer.Files> webhook,
      Optional<WebhookRegistration.Target> registration,
      Optional<SelfIssuedWebhook> selfIssued) {}

  /**
   * The Pod webhook with nothing set up beforehand: the refresher issues and rotates its
   * certificate ({@link SelfIssuedCertificate}) and its leader keeps its own
   * MutatingWebhookConfiguration.
   *
   * @param address the listen address
   * @param port the listen port (0 = any)
   * @param certificate where the certificate is kept and what it covers
   * @param registration what the registration points at
   */
  record SelfIssuedWebhook(
      String address,
      int port,
      SelfIssuedCertificate.Spec certificate,
      WebhookRegistration.Owned registration) {}

  /**
   * The steady-state write limit ({@code PullSecretSyncBuilder#writeRateLimit}); a rotation may
   * raise it for a while.
   *
   * @param perSecond writes per second, positive
   * @param burst writes at once, at least 1
   */
  record WriteRate(double perSecond, int burst) {}

  /**
   * Leader election settings.
   *
   * @param namespace the Lease's namespace
   * @param name the Lease's name
   * @param identity this replica's identity
   * @param duration lease duration
   * @param renewDeadline renew deadline
   * @param retryPeriod retry period
   */
  record Lease(
      String namespace,
      String name,
      String identity,
      Duration duration,
      Duration renewDeadline,
      Duration retryPeriod) {}

  private final Settings settings;
  private final SyncMetrics metrics;
  private final ReconcileTracker tracker;
  private final RegistryTokenProviders providers;
  private final ScheduledExecutorService events;
  private final RefresherEvents warnings;
  private final ConfigApplier configs;
  private final WebhookServing webhook;
  private final long createdNanos = System.nanoTime();
  private volatile PullSecretSync sync;
  private volatile boolean firstPassDone;
  private volatile boolean closed;

  Refresher(Settings settings) {
    this.settings = settings;
    this.metrics = new SyncMetrics(settings.clock());
    this.tracker = new ReconcileTracker(this::passCompleted);
    CacheListener rotations =
        new CacheListener() {
          @Override
          public void credentialChanged(CredentialChange change) {
            if (change.previous().isPresent()) {
              LOG.info(
                  "credential for {} rotated, now valid until {}",
                  change.target().describe(),
                  change.current().expiresAt());
            }
            runLater(() -> beginPass("rotation"));
          }

          @Override
          public void refreshFailed(RefreshFailure failure) {
            // 1st, 2nd, 4th, 8th ... failure in a row: an outage shows at once without an Event
            // per retry.
            int n = failure.consecutiveFailures();
            if ((n & (n - 1)) == 0) {
              runLater(() -> warnings.refreshFailed(configs.last(), failure));
            }
          }
        };
    this.providers =
        settings
            .endpoints()
            .applyTo(RegistryTokenProviders.builder())
            .environment(settings.env())
            .clock(settings.clock())
            .listener(metrics)
            .cacheListener(metrics)
            .cacheListener(rotations)
            .build();
    this.events =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "acr-refresher-events");
              t.setDaemon(true);
              return t;
            });
    this.warnings =
        new RefresherEvents(
            settings.api(), settings.lease().map(Lease::identity).orElse(COMPONENT));
    this.configs =
        new ConfigApplier(settings, providers, metrics, warnings, events, () -> sync, () -> closed);
    this.webhook =
        new WebhookServing(settings, metrics, warnings, configs::last, () -> sync, () -> closed);
  }

  SyncMetrics metrics() {
    return metrics;
  }

  boolean isReady() {
    PullSecretSync s = sync;
    return s != null && s.isReady();
  }

  boolean isLeader() {
    PullSecretSync s = sync;
    return s != null && s.isLeader();
  }

  // ---- --once ----

  /**
   * One full reconcile: strict configuration, every token fetched, every namespace in scope
   * reconciled.
   *
   * @return what was done
   * @throws CliException one line naming the first problem
   */
  ReconcileTracker.Pass runOnce(Duration timeout) {
    ConfigSource.Snapshot snapshot = settings.source().load();
    ConfigParseResult parsed = settings.parser().parse(snapshot.data());
    parsed.warnings().forEach(w -> LOG.warn("{}: {}", settings.source().describe(), w));
    if (parsed.hasErrors()) {
      List<ConfigProblem> errors = parsed.errors();
      throw CliException.failure(
          "invalid configuration in "
              + settings.source().describe()
              + ": "
              + errors.get(0)
              + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more error(s))" : ""));
    }
    RegistryTokenProviders.Applied applied = providers.apply(parsed.config());
    if (!applied.problems().isEmpty()) {
      throw CliException.failure(applied.problems().get(0));
    }
    AcrConfiguration config = applied.configuration();
    for (RegistryTarget target : providers.targets()) {
      try {
        providers.fetch(target);
      } catch (TokenException e) {
        throw CliException.failure(
            "cannot get a registry token for "
                + target.describe()
                + ": "
                + TokenFailures.describe(e));
      }
    }
    Set<String> expected = namespacesInScope(config);
    PullSecretSync s = buildSync(config, false);
    CompletableFuture<ReconcileTracker.Pass> pass =
        tracker.begin("start", expected, System.nanoTime());
    sync = s;
    s.start();
    ReconcileTracker.Pass result;
    try {
      result = pass.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw CliException.failure(
          "the reconcile did not finish within "
              + timeout.toSeconds()
              + "s; check the API server's health and the refresher's permissions (--timeout to"
              + " wait longer)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliException.failure("interrupted");
    } catch (ExecutionException e) {
      throw CliException.failure("reconcile failed: " + e.getCause());
    }
    if (!result.failures().isEmpty()) {
      Map.Entry<String, String> first = result.failures().entrySet().iterator().next();
      throw CliException.failure(
          "namespace "
              + first.getKey()
              + ": "
              + first.getValue()
              + (result.failures().size() > 1
                  ? " (and " + (result.failures().size() - 1) + " more namespace(s) failed)"
                  : ""));
    }
    return result;
  }

  // ---- daemon ----

  /**
   * Starts the daemon: reads the configuration (retrying while the API server is unreachable),
   * starts the sync with leader election when configured, and watches the configuration.
   *
   * @return completes after the first full reconcile (never when this replica does not lead)
   */
  CompletableFuture<ReconcileTracker.Pass> start() {
    ConfigSource.Snapshot snapshot = configs.loadWithRetry();
    if (closed) {
      return new CompletableFuture<>();
    }
    AcrConfiguration applied = configs.apply(snapshot);
    CompletableFuture<ReconcileTracker.Pass> first;
    PullSecretSync s = buildSync(applied, settings.lease().isPresent());
    if (settings.lease().isEmpty()) {
      first = new CompletableFuture<>();
      CompletableFuture<ReconcileTracker.Pass> done = first;
      runLater(() -> beginFirstPass(done));
    } else {
      first = new CompletableFuture<>();
      // completed by the pass begun when leadership is won
      firstLeaderPass = first;
    }
    sync = s;
    metrics.bind(this::isReady, this::isLeader);
    s.start();
    webhook.update(applied);
    webhook.updateRegistration();
    settings.source().watch(snap -> runLater(() -> onConfigChange(snap)));
    return first;
  }

  private volatile CompletableFuture<ReconcileTracker.Pass> firstLeaderPass;

  /** Begins the first pass once the namespaces can be listed (the API server may be down). */
  private void beginFirstPass(CompletableFuture<ReconcileTracker.Pass> done) {
    PullSecretSync s = sync;
    if (s == null || closed) {
      return;
    }
    Set<String> expected;
    try {
      expected = namespacesInScope(s.configuration());
    } catch (CliException e) {
      LOG.warn("{} (retrying in 5 s)", e.getMessage());
      try {
        events.schedule(() -> beginFirstPass(done), 5, TimeUnit.SECONDS);
      } catch (RejectedExecutionException closing) {
        // closing
      }
      return;
    }
    tracker.begin("start", expected, createdNanos).whenComplete((p, t) -> done.complete(p));
    reconcileAll(s);
  }

  /**
   * Has every namespace reconciled again (a no-op where nothing changed), so a pass begun after its
   * trigger cannot miss a namespace the sync handled just before.
   */
  private static void reconcileAll(PullSecretSync s) {
    s.updateConfiguration(s.configuration());
  }

  private void onConfigChange(ConfigSource.Snapshot snapshot) {
    if (closed) {
      return;
    }
    ConfigSource.Snapshot last = configs.last();
    if (last != null && last.data().equals(snapshot.data())) {
      return;
    }
    LOG.info("{} changed; applying it", settings.source().describe());
    AcrConfiguration applied = configs.apply(snapshot);
    PullSecretSync s = sync;
    if (s != null) {
      s.updateConfiguration(applied);
      webhook.update(applied);
      webhook.updateRegistration();
      beginPass("configuration");
    }
  }

  /** The port the webhook listens on, or -1 when it is not served. */
  int webhookPort() {
    return webhook.port();
  }

  private PullSecretSync buildSync(AcrConfiguration config, boolean withLease) {
    PullSecretSyncBuilder b =
        PullSecretSync.builder()
            .apiClient(settings.api())
            .informerApiClient(settings.informerApi())
            .configuration(config)
            .tokenProvider(providers)
            .eventComponent(COMPONENT)
            .instanceName(settings.instance())
            .resyncPeriod(settings.resyncPeriod())
            .listener(metrics)
            .listener(tracker)
            .listener(
                new SyncListener() {
                  @Override
                  public void leadershipChanged(boolean leader) {
                    if (leader && withLease) {
                      runLater(() -> beginPass("leadership"));
                    }
                    runLater(webhook::updateRegistration);
                  }
                });
    settings.extraListeners().forEach(b::listener);
    settings.writeRate().ifPresent(w -> b.writeRateLimit(w.perSecond(), w.burst()));
    if (withLease) {
      Lease l = settings.lease().orElseThrow();
      b.leaderElectionTimings(l.duration(), l.renewDeadline(), l.retryPeriod())
          .leaderElection(l.namespace(), l.name(), l.identity());
    }
    return b.build();
  }

  /** Starts tracking a pass over the namespaces now in scope (only while leading). */
  CompletableFuture<ReconcileTracker.Pass> beginPass(String why) {
    PullSecretSync s = sync;
    if (s == null || closed || (settings.lease().isPresent() && !s.isLeader())) {
      return new CompletableFuture<>();
    }
    Set<String> expected;
    try {
      expected = namespacesInScope(s.configuration());
    } catch (CliException e) {
      LOG.warn("cannot follow the reconcile after {}: {}", why, e.getMessage());
      return new CompletableFuture<>();
    }
    CompletableFuture<ReconcileTracker.Pass> f = tracker.begin(why, expected, System.nanoTime());
    reconcileAll(s);
    CompletableFuture<ReconcileTracker.Pass> waiting = firstLeaderPass;
    if (waiting != null && why.equals("leadership")) {
      firstLeaderPass = null;
      f.whenComplete((p, t) -> waiting.complete(p));
    }
    return f;
  }

  /**
   * Forgets every cached token and asks ACR again, as when a token is about to expire (the demo's
   * forced rotation).
   *
   * @return completes when every namespace got the new credential
   */
  CompletableFuture<ReconcileTracker.Pass> forceRotation() {
    CompletableFuture<ReconcileTracker.Pass> f = beginPass("rotation");
    providers.invalidateAll();
    PullSecretSync s = sync;
    if (s != null) {
      s.credentialsChanged();
    }
    return f;
  }

  /**
   * The namespaces the configuration puts in scope, as the API server lists them now, in pages of
   * {@value #NAMESPACE_PAGE} (one consistent list). client-java decodes a list answer as a whole
   * (the text, a JSON tree of it, then the objects with their {@code managedFields}), and a pass
   * begins several times at start-up (start, leadership, each registry's first token): in one page
   * at 10,000 namespaces each such list held about 40 MiB of heap at once, the start-up peak of the
   * process.
   */
  Set<String> namespacesInScope(AcrConfiguration config) {
    return namespacesInScope(settings.api(), config.namespaces(), NAMESPACE_PAGE);
  }

  /** The live namespaces {@code scope} covers, listed {@code pageSize} at a time. */
  static Set<String> namespacesInScope(ApiClient client, NamespaceScope scope, int pageSize) {
    CoreV1Api api = new CoreV1Api(client);
    Set<String> names = new LinkedHashSet<>();
    String next = null;
    do {
      V1NamespaceList page;
      try {
        page = api.listNamespace().limit(pageSize)._continue(next).execute();
      } catch (ApiException e) {
        throw KubeErrors.failure("cannot list namespaces", client, e);
      }
      for (V1Namespace ns : page.getItems()) {
        V1ObjectMeta m = ns.getMetadata();
        if (m.getDeletionTimestamp() == null && scope.includes(m.getName(), m.getLabels())) {
          names.add(m.getName());
        }
      }
      next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
    return names;
  }

  private void passCompleted(ReconcileTracker.Pass pass) {
    metrics.reconcileCompleted(pass.took());
    if (!firstPassDone) {
      firstPassDone = true;
      Duration sinceStart =
          ProcessHandle.current()
              .info()
              .startInstant()
              .map(t -> Duration.between(t, Instant.now()))
              .orElse(pass.took());
      LOG.info(
          "first reconcile complete {} ms after process start ({} ms after the trigger '{}'): {}",
          sinceStart.toMillis(),
          pass.took().toMillis(),
          pass.trigger(),
          pass.summary());
    } else {
      LOG.info(
          "reconcile after {} complete in {} ms: {}",
          pass.trigger(),
          pass.took().toMillis(),
          pass.summary());
    }
    if (!pass.failures().isEmpty()) {
      LOG.warn(
          "failed namespaces (retried with backoff): {}",
          pass.failures().entrySet().stream()
              .map(e -> e.getKey() + ": " + e.getValue())
              .collect(Collectors.joining("; ")));
    }
  }

  private void runLater(Runnable r) {
    if (closed) {
      return;
    }
    try {
      events.execute(
          () -> {
            try {
              r.run();
            } catch (RuntimeException e) {
              LOG.warn("{}", e.toString());
            }
          });
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  /**
   * Stops everything: the webhook, the sync (releasing the lease), then the watch and providers.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    webhook.close();
    PullSecretSync s = sync;
    if (s != null) {
      s.close();
    }
    settings.source().close();
    events.shutdownNow();
    providers.close();
  }

  @Override
  public String toString() {
    return "Refresher[" + settings.source().describe() + "]";
  }
}
