package io.acrcredential.examples.sync;

import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.ClusterOptions;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.cli.ProgramVersion;
import io.acrcredential.examples.logging.LogSetup;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sync}: the refresher. Keeps pull Secrets and ServiceAccounts in sync from the {@code
 * acr-configuration} ConfigMap (watched) or a file; {@code --once} reconciles once and exits. The
 * options become settings in {@link SyncSettings}; {@link OnceSummary} runs {@code --once}.
 */
public final class SyncCommand extends BasicCommand {

  public static final String DEFAULT_CONFIGMAP = ClusterOptions.DEFAULT_CONFIGMAP;
  public static final String DEFAULT_LEASE = "acr-credential-sync";

  static final String DEFAULT_WEBHOOK_SERVICE = "acr-credential-webhook";

  private static final Options OPTIONS =
      new Options("sync")
          .value(
              "config",
              "FILE",
              "ACR_CREDENTIAL_CONFIG_FILE",
              "read the configuration from FILE (ConfigMap manifest or key: value mapping)")
          .value(
              "configmap",
              "NS/NAME",
              "ACR_CREDENTIAL_CONFIGMAP",
              "read and watch this ConfigMap (default " + DEFAULT_CONFIGMAP + ")")
          .flag("once", "reconcile every namespace once, then exit (0 = success)")
          .value("timeout", "DURATION", null, "--once: give up after this long (default 2m)")
          .with(ClusterOptions::kubeconfig)
          .with(
              ClusterOptions.region(
                  "the cluster's region: default regionId of registries and Personal Edition"))
          .with(ClusterOptions::endpoints)
          .value(
              "http-address",
              "ADDRESS",
              "ACR_CREDENTIAL_HTTP_ADDRESS",
              "address for /healthz, /readyz, /metrics (default 0.0.0.0)")
          .value(
              "http-port", "PORT", "ACR_CREDENTIAL_HTTP_PORT", "their port (default 8080; 0 = any)")
          .value(
              "lease-namespace",
              "NS",
              "POD_NAMESPACE",
              "namespace of the leader-election Lease (default: the ConfigMap's)")
          .value("lease-name", "NAME", null, "Lease name (default " + DEFAULT_LEASE + ")")
          .value(
              "webhook-port",
              "PORT",
              "ACR_CREDENTIAL_WEBHOOK_PORT",
              "HTTPS port of the Pod webhook "
                  + PodPullSecretWebhook.PATH
                  + " (default 8443),"
                  + " on --http-address; served while the ConfigMap's webhook-configuration has"
                  + " enable: true")
          .value(
              "webhook-cert-file",
              "FILE",
              "ACR_CREDENTIAL_WEBHOOK_CERT_FILE",
              "PEM certificate (chain, leaf first) of the webhook, e.g. tls.crt of a cert-manager"
                  + " Secret; read again when it changes")
          .value(
              "webhook-key-file",
              "FILE",
              "ACR_CREDENTIAL_WEBHOOK_KEY_FILE",
              "its PEM private key, unencrypted: PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 RSA (BEGIN"
                  + " RSA PRIVATE KEY) or SEC1 EC (BEGIN EC PRIVATE KEY); read again when it"
                  + " changes")
          .value(
              "webhook-configuration-name",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_CONFIGURATION_NAME",
              "MutatingWebhookConfiguration whose entry --webhook-name gets failurePolicy and"
                  + " timeoutSeconds from the ConfigMap's webhook-configuration (default "
                  + WebhookRegistration.DEFAULT_CONFIGURATION
                  + "); with certificate files the leader patches only those two fields, never"
                  + " creates it; without, it is the refresher's own")
          .value(
              "webhook-name",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_NAME",
              "that entry's name under webhooks (default "
                  + WebhookRegistration.DEFAULT_WEBHOOK
                  + ")")
          .flag(
              "no-webhook-configuration-update",
              "leave the MutatingWebhookConfiguration alone (set failurePolicy and timeoutSeconds"
                  + " in it yourself)")
          .value(
              "webhook-url",
              "URL",
              "ACR_CREDENTIAL_WEBHOOK_URL",
              "without certificate files: register https://HOST:PORT"
                  + PodPullSecretWebhook.PATH
                  + " instead of the Service (a refresher outside the cluster); the own certificate"
                  + " then covers HOST")
          .value(
              "webhook-service",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_SERVICE",
              "without certificate files: the Service in front of the replicas, port 443, in the"
                  + " refresher's namespace (default "
                  + DEFAULT_WEBHOOK_SERVICE
                  + ")")
          .value(
              "webhook-certificate-secret",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_CERTIFICATE_SECRET",
              "without certificate files: the Secret in the refresher's namespace holding its own"
                  + " webhook CA and certificate (default "
                  + SelfIssuedCertificate.DEFAULT_SECRET
                  + ")")
          .value(
              "webhook-ca-lifetime",
              "DURATION",
              null,
              "life of the own webhook CA (default 87600h = 10 years; renewed with a third left)")
          .value(
              "webhook-cert-lifetime",
              "DURATION",
              null,
              "life of the own serving certificate (default 2160h = 90 days; renewed with a"
                  + " third left)")
          .value("identity", "NAME", "POD_NAME", "this replica's identity (default: host name)")
          .value(
              "instance",
              "NAME",
              "ACR_CREDENTIAL_INSTANCE",
              "name of this refresher (label on its Secrets; default 'default'); refreshers with"
                  + " different names never touch each other's Secrets")
          .flag("no-leader-election", "write without a Lease (one replica only)")
          .value("lease-duration", "DURATION", null, "Lease duration (default 15s)")
          .value("resync", "DURATION", null, "full resync period (default 10m)")
          .value(
              "write-rate",
              "N",
              "ACR_CREDENTIAL_WRITE_RATE",
              "at most N write requests per second to the API server (default: enough to"
                  + " rewrite every managed Secret within half of the renewal window, at least"
                  + " 20); a"
                  + " rotation raises it (up to 1000/s) when N could not give every Secret the new"
                  + " token within half of the time left before the old one expires")
          .value(
              "write-burst",
              "N",
              "ACR_CREDENTIAL_WRITE_BURST",
              "writes allowed at once (default: twice --write-rate, at least 1)")
          .value("log-format", "FORMAT", "ACR_CREDENTIAL_LOG_FORMAT", "plain (default) or json")
          .value(
              "log-level",
              "LEVEL",
              "ACR_CREDENTIAL_LOG_LEVEL",
              "off, error, warn, info (default; off with --once) or debug");

  /** The command with its options and help. */
  public SyncCommand() {
    super(
        "sync",
        "keep Kubernetes pull Secrets fresh (the refresher); --once for one pass",
        "Usage: acr-credential sync [--config FILE | --configmap NS/NAME] [--once] [options]\n\n"
            + "Keeps kubernetes.io/dockerconfigjson pull Secrets and the imagePullSecrets of the\n"
            + "configured ServiceAccounts up to date with temporary ACR passwords, configured like\n"
            + "Alibaba's aliyun-acr-credential-helper (ConfigMap kube-system/acr-configuration).\n"
            + "The ConfigMap is watched: edits apply without a restart; an invalid key keeps its\n"
            + "previous value and is reported as a log line and an Event. With several replicas one\n"
            + "leads through a Lease; SIGTERM releases it. Identities: see the ConfigMap's\n"
            + "acr-registry-info (default chain, RRSA, AccessKey, assumed role).\n\n"
            + "--once: exit 0 after every namespace in scope was reconciled, else 1 with one line.\n"
            + "It prints a summary naming every Secret taken over from Alibaba's helper and every\n"
            + "clash (a Secret of another owner under a pull Secret's name, never written); a clash\n"
            + "leaves its namespace without a working pull Secret, so it exits 1 then too.\n\n"
            + "Pod webhook: with enable: true in the ConfigMap's webhook-configuration, every replica\n"
            + "serves a mutating admission webhook at https://<address>:<webhook-port>"
            + PodPullSecretWebhook.PATH
            + "\n"
            + "that adds the pull Secrets to Pods whose ServiceAccount the sync has not patched yet.\n"
            + "With nothing else set up the refresher issues and rotates its own certificate (Secret\n"
            + "--webhook-certificate-secret in its namespace) and the leader keeps its own\n"
            + "MutatingWebhookConfiguration --webhook-configuration-name (the Service\n"
            + "--webhook-service, or --webhook-url outside the cluster; caBundle, failure-policy and\n"
            + "timeout-seconds from the ConfigMap), removed on enable: false (deploy/webhook). With\n"
            + "--webhook-cert-file and --webhook-key-file it serves those instead and only keeps\n"
            + "failurePolicy and timeoutSeconds of your registration's entry --webhook-name\n"
            + "(deploy/webhook-cert-manager).\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    p.requireNoPositional();
    boolean once = p.flag("once");
    LogSetup.configure(
        LogSetup.Format.parse(p.value("log-format").orElse("plain")),
        p.value("log-level").orElse(once ? "off" : "info"),
        io.err());
    Logger log = LoggerFactory.getLogger(SyncCommand.class);
    Refresher.Settings settings = SyncSettings.parse(p, io, once);
    if (once) {
      Duration timeout =
          p.value("timeout").map(SyncCommand::duration).orElse(Duration.ofMinutes(2));
      return OnceSummary.run(settings, timeout, io.out());
    }
    return daemon(p, io, settings, log);
  }

  private int daemon(Options.Parsed p, Invocation io, Refresher.Settings settings, Logger log) {
    Refresher refresher = new Refresher(settings);
    String address = p.value("http-address").orElse("0.0.0.0");
    int port = SyncSettings.port(p.value("http-port").orElse("8080"), "--http-port");
    HttpEndpoints http;
    try {
      http = new HttpEndpoints(address, port, refresher::isReady, refresher.metrics()::render);
    } catch (IOException e) {
      refresher.close();
      throw CliException.failure(
          "cannot listen on "
              + address
              + ":"
              + port
              + " for /healthz, /readyz, /metrics: "
              + e.getMessage()
              + " (choose another --http-port)");
    }
    log.info(
        "acr-credential {} sync starting; {}; HTTP on {}:{} (/healthz, /readyz, /metrics);"
            + " leader election {}",
        ProgramVersion.get(),
        settings.source().describe(),
        address,
        http.port(),
        settings
            .lease()
            .map(l -> "Lease " + l.namespace() + "/" + l.name() + " as " + l.identity())
            .orElse("off"));
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              log.info(
                  settings.lease().isPresent()
                      ? "stopping: releasing the lease and ending the watches"
                      : "stopping: ending the watches");
              refresher.close();
              http.close();
              log.info("stopped");
              stopped.countDown();
            },
            "acr-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    refresher.start();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  public static ApiClient kubeClient(Optional<String> kubeconfig) {
    try {
      ApiClient client;
      if (kubeconfig.isPresent()) {
        String first = kubeconfig.get().split(java.io.File.pathSeparator)[0];
        client = Config.fromConfig(first);
      } else {
        client = Config.defaultClient();
      }
      // the API server's audit log and metrics then name the program and its version
      client.setUserAgent("acr-credential/" + ProgramVersion.get());
      return client;
    } catch (IOException | RuntimeException e) {
      throw CliException.failure(
          "cannot load the Kubernetes client configuration"
              + kubeconfig.map(k -> " from " + k).orElse("")
              + ": "
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : " " + e.getMessage())
              + "; set KUBECONFIG or --kubeconfig, or run in a pod with a service account");
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
  public static Duration duration(String value) {
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw CliException.usage("invalid duration '" + value + "': use e.g. 500ms, 30s, 2m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
    if (d.isZero()) {
      throw CliException.usage("invalid duration '" + value + "': must be positive");
    }
    return d;
  }
}
