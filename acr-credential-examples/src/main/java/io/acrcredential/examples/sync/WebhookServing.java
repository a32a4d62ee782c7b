package io.acrcredential.examples.sync;

import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.acrcredential.k8s.webhook.RegistrationProblem;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The refresher's Pod webhook: served while {@code webhook-configuration.enable} is true, with the
 * certificate files when given, else with its own certificate ({@link SelfIssuedCertificate}); and
 * its MutatingWebhookConfiguration, kept in line by the leader ({@link WebhookRegistration}).
 */
final class WebhookServing implements AutoCloseable {

  // under the refresher's name, as before the split: log filters keep working
  private static final Logger LOG = LoggerFactory.getLogger(Refresher.class);

  private final Refresher.Settings settings;
  private final SyncMetrics metrics;
  private final RefresherEvents events;
  private final Supplier<ConfigSource.Snapshot> lastSnapshot;
  private final Supplier<PullSecretSync> sync;
  private final BooleanSupplier closed;
  private final WebhookRegistration registration; // null when not managed
  private final AtomicBoolean registrationRemoved = new AtomicBoolean();
  private WebhookServer webhookServer; // guarded by this
  private SelfIssuedCertificate certificate; // guarded by this; while the own certificate serves

  /**
   * @param lastSnapshot the configuration version applied last (its object gets the Events)
   * @param sync the running sync, or null
   * @param closed whether the refresher is closing
   */
  WebhookServing(
      Refresher.Settings settings,
      SyncMetrics metrics,
      RefresherEvents events,
      Supplier<ConfigSource.Snapshot> lastSnapshot,
      Supplier<PullSecretSync> sync,
      BooleanSupplier closed) {
    this.settings = settings;
    this.metrics = metrics;
    this.events = events;
    this.lastSnapshot = lastSnapshot;
    this.sync = sync;
    this.closed = closed;
    this.registration =
        settings.registration().isEmpty()
            ? null
            : settings.webhook().isPresent()
                ? WebhookRegistration.builder(
                        settings.api(), settings.informerApi(), settings.registration().get())
                    .onProblem(this::reportRegistrationProblem)
                    .build()
                : settings.selfIssued().isPresent()
                    ? WebhookRegistration.builder(
                            settings.api(), settings.informerApi(), settings.registration().get())
                        .owned(settings.selfIssued().get().registration())
                        .onProblem(this::reportRegistrationProblem)
                        .build()
                    : null;
  }

  /**
   * Serves the Pod webhook while {@code webhook-configuration.enable} is true, with the certificate
   * files when given, else with the refresher's own certificate; stops serving when it turns false.
   */
  synchronized void update(AcrConfiguration config) {
    PullSecretSync s = sync.get();
    boolean served = settings.webhook().isPresent() || settings.selfIssued().isPresent();
    boolean wanted = !closed.getAsBoolean() && s != null && config.webhook().enabled() && served;
    if (wanted && webhookServer == null) {
      if (settings.webhook().isPresent()) {
        WebhookServer.Files files = settings.webhook().get();
        try {
          webhookServer = new WebhookServer(files, new PodPullSecretWebhook(s), metrics);
          LOG.info(
              "Pod webhook serving https://{}:{}{} (certificate {}, reloaded when it changes)",
              files.address(),
              webhookServer.port(),
              PodPullSecretWebhook.PATH,
              files.certFile());
        } catch (IOException e) {
          LOG.error("cannot serve the Pod webhook: {}", e.getMessage());
        }
      } else {
        startSelfIssued(settings.selfIssued().get(), s);
      }
    } else if (!wanted && webhookServer != null) {
      webhookServer.close();
      webhookServer = null;
      if (certificate != null) {
        certificate.close();
        certificate = null;
      }
      LOG.info("Pod webhook stopped ({}: false)", Refresher.WEBHOOK_ENABLE);
    } else if (!wanted && served && !closed.getAsBoolean()) {
      LOG.info(
          "Pod webhook not served: {} is false in the configuration", Refresher.WEBHOOK_ENABLE);
    }
  }

  /** The own certificate first (read or issued), then the server; the leader registers it. */
  private void startSelfIssued(Refresher.SelfIssuedWebhook own, PullSecretSync s) {
    SelfIssuedCertificate cert =
        new SelfIssuedCertificate(settings.api(), own.certificate(), settings.clock());
    if (registration != null) {
      cert.onChange(
          state ->
              registration.caBundle(
                  WebhookCertificates.pem(state.trusted()).getBytes(StandardCharsets.US_ASCII)));
    }
    try {
      cert.start();
    } catch (IOException | RuntimeException e) {
      LOG.error(
          "{} (trying again every {})", e.getMessage(), own.certificate().lifetimes().checkEvery());
    }
    try {
      webhookServer =
          new WebhookServer(
              own.address(),
              own.port(),
              cert.keyManager(),
              new PodPullSecretWebhook(s),
              metrics,
              HttpServers.Limits.WEBHOOK);
      certificate = cert;
      LOG.info(
          "Pod webhook serving https://{}:{}{} with its own certificate ({}; covers {})",
          own.address(),
          webhookServer.port(),
          PodPullSecretWebhook.PATH,
          own.certificate().describe(),
          own.certificate().hosts());
    } catch (IOException e) {
      cert.close();
      LOG.error("cannot serve the Pod webhook: {}", e.getMessage());
    }
  }

  /**
   * The leader keeps the MutatingWebhookConfiguration in line while the webhook is enabled (the two
   * fields of a hand-made one, or the whole of its own); with its own, {@code enable: false}
   * removes it. Other replicas leave it alone.
   */
  void updateRegistration() {
    if (registration == null) {
      return;
    }
    PullSecretSync s = sync.get();
    boolean leader = !closed.getAsBoolean() && s != null && s.isLeader();
    boolean enabled = s != null && s.configuration().webhook().enabled();
    if (leader && !enabled && settings.webhook().isEmpty() && settings.selfIssued().isPresent()) {
      // once per change to false (and once when this replica starts leading with it false)
      if (registrationRemoved.compareAndSet(false, true)) {
        registration.remove();
      }
      return;
    }
    if (enabled || !leader) {
      registrationRemoved.set(false);
    }
    registration.manage(
        leader && enabled ? Optional.of(s.configuration().webhook()) : Optional.empty());
  }

  /**
   * A missing object or permission: a log line and a Warning Event on the ConfigMap, the library's
   * message with this program's hint.
   */
  private void reportRegistrationProblem(RegistrationProblem problem) {
    String text = withHint(problem);
    LOG.warn("{}", text);
    events.warn(lastSnapshot.get(), "InvalidConfiguration", text);
  }

  /** The library's message (which names no flag) and where this program's flags or files fix it. */
  static String withHint(RegistrationProblem problem) {
    return problem.message()
        + switch (problem.kind()) {
          case MISSING ->
              " (kubectl apply -k acr-credential-examples/deploy/webhook, or name an existing one"
                  + " with --webhook-configuration-name)";
          case MISSING_ENTRY -> " (give its name with --webhook-name)";
          case NOT_OURS -> " (here: give --webhook-cert-file and --webhook-key-file to keep it)";
          case FORBIDDEN -> " (see acr-credential-examples/deploy/webhook/rbac.yaml)";
        };
  }

  /** The port the webhook listens on, or -1 when it is not served. */
  synchronized int port() {
    return webhookServer == null ? -1 : webhookServer.port();
  }

  /** Stops managing the registration, then stops serving. */
  @Override
  public void close() {
    if (registration != null) {
      registration.close();
    }
    synchronized (this) {
      if (webhookServer != null) {
        webhookServer.close();
        webhookServer = null;
      }
      if (certificate != null) {
        certificate.close();
        certificate = null;
      }
    }
  }
}
