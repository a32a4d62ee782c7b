package io.acrcredential.examples;

import io.acrcredential.k8s.SecretClash;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.Config;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sync}: the refresher. Keeps pull Secrets and ServiceAccounts in sync from the {@code
 * acr-configuration} ConfigMap (watched) or a file; {@code --once} reconciles once and exits.
 */
final class SyncCommand implements Command {

  static final String DEFAULT_CONFIGMAP = "kube-system/acr-configuration";
  static final String DEFAULT_LEASE = "acr-credential-sync";

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
          .value(
              "kubeconfig",
              "FILE",
              "KUBECONFIG",
              "kubeconfig file (default: ~/.kube/config, else the in-cluster service account)")
          .value(
              "region",
              "REGION",
              "ACR_CREDENTIAL_REGION",
              "the cluster's region: default regionId of registries and Personal Edition")
          .value(
              "acr-endpoint",
              "URL",
              CredentialConfig.ENV_ACR_ENDPOINT,
              "ACR OpenAPI endpoint (host[:port] = HTTPS; http://host:port = plain HTTP, tests)")
          .value("sts-endpoint", "URL", CredentialConfig.ENV_STS_ENDPOINT, "STS endpoint")
          .value(
              "metadata-endpoint",
              "URL",
              CredentialConfig.ENV_METADATA_ENDPOINT,
              "ECS metadata endpoint (default 100.100.100.200)")
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

  @Override
  public String name() {
    return "sync";
  }

  @Override
  public String summary() {
    return "keep Kubernetes pull Secrets fresh (the refresher); --once for one pass";
  }

  @Override
  public String help() {
    return "Usage: acr-credential sync [--config FILE | --configmap NS/NAME] [--once] [options]\n\n"
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
        + "(deploy/webhook-cert-manager).\n\n"
        + "Options:\n"
        + OPTIONS.describe();
  }

  @Override
  public Options options() {
    return OPTIONS;
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
    Optional<Refresher.WriteRate> writeRate =
        writeRate(p.value("write-rate"), p.value("write-burst"));
    if (p.value("config").isPresent() && p.value("configmap").isPresent()) {
      throw CliException.usage("give either --config or --configmap, not both");
    }
    AcrConfigParser parser;
    try {
      parser =
          p.value("region")
              .map(AcrConfigParser::forClusterRegion)
              .orElseGet(AcrConfigParser::withoutClusterRegion);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
    RegistryProviders.Endpoints endpoints =
        new RegistryProviders.Endpoints(
            p.value("acr-endpoint"), p.value("sts-endpoint"), p.value("metadata-endpoint"));
    ApiClient api = kubeClient(p.value("kubeconfig"));
    ApiClient watchApi = kubeClient(p.value("kubeconfig"));
    ConfigSource source;
    String configNamespace = "kube-system";
    if (p.value("config").isPresent()) {
      source = new ConfigSource.FromFile(Path.of(p.value("config").get()));
    } else {
      String ref = p.value("configmap").orElse(DEFAULT_CONFIGMAP);
      int slash = ref.indexOf('/');
      if (slash <= 0 || slash == ref.length() - 1 || ref.indexOf('/', slash + 1) >= 0) {
        throw CliException.usage("invalid --configmap '" + ref + "': use NAMESPACE/NAME");
      }
      configNamespace = ref.substring(0, slash);
      source =
          new ConfigSource.FromConfigMap(api, watchApi, configNamespace, ref.substring(slash + 1));
    }
    Optional<Refresher.Lease> lease = Optional.empty();
    if (!once && !p.flag("no-leader-election")) {
      Duration duration = p.value("lease-duration").map(SyncCommand::duration).orElse(null);
      Duration d = duration != null ? duration : Duration.ofSeconds(15);
      Duration renew = d.multipliedBy(2).dividedBy(3);
      Duration retry = Duration.ofMillis(Math.max(1000, d.toMillis() / 7));
      lease =
          Optional.of(
              new Refresher.Lease(
                  p.value("lease-namespace").orElse(configNamespace),
                  p.value("lease-name").orElse(DEFAULT_LEASE),
                  p.value("identity").orElseGet(SyncCommand::defaultIdentity),
                  d,
                  renew,
                  retry));
    }
    Optional<WebhookServer.Files> webhook = webhookFiles(p, once);
    Optional<Refresher.SelfIssuedWebhook> selfIssued =
        selfIssued(
            p, once || webhook.isPresent(), p.value("lease-namespace").orElse(configNamespace));
    Refresher.Settings settings =
        new Refresher.Settings(
            api,
            watchApi,
            source,
            parser,
            endpoints,
            io.env(),
            Clock.systemUTC(),
            lease,
            p.value("instance").orElse("default"),
            p.value("resync").map(SyncCommand::duration).orElse(Duration.ofMinutes(10)),
            List.of(),
            writeRate,
            webhook,
            registration(p, webhook.isPresent() || selfIssued.isPresent()),
            selfIssued);
    if (once) {
      try (Refresher refresher = new Refresher(settings)) {
        Duration timeout =
            p.value("timeout").map(SyncCommand::duration).orElse(Duration.ofMinutes(2));
        ReconcileTracker.Pass pass = refresher.runOnce(timeout);
        io.out().println("synced " + pass.summary() + " in " + pass.took().toMillis() + " ms");
        for (String secret : pass.takenOver()) {
          io.out().println("  taken over from Alibaba's helper: Secret " + secret);
        }
        for (SecretClash clash : pass.clashes()) {
          io.out()
              .println(
                  "  clash: Secret "
                      + clash.namespace()
                      + "/"
                      + clash.secretName()
                      + " is not acr-credential's and was left untouched: "
                      + clash.reason());
        }
        io.out().flush();
        if (!pass.clashes().isEmpty()) {
          Set<String> namespaces = new TreeSet<>();
          pass.clashes().forEach(c -> namespaces.add(c.namespace()));
          throw CliException.failure(
              namespaces.size()
                  + " namespace(s) left without a working pull Secret by a clash ("
                  + String.join(", ", namespaces)
                  + "): rename or delete those Secrets, or see the migration guide"
                  + " (docs/migrating-from-alibaba-helper.md)");
        }
        return 0;
      }
    }
    return daemon(p, io, settings, log);
  }

  private int daemon(Options.Parsed p, Invocation io, Refresher.Settings settings, Logger log) {
    Refresher refresher = new Refresher(settings);
    String address = p.value("http-address").orElse("0.0.0.0");
    int port = port(p.value("http-port").orElse("8080"), "--http-port");
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
        Main.version(),
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

  /** The webhook's listen address and files; both files or neither. */
  private static Optional<WebhookServer.Files> webhookFiles(Options.Parsed p, boolean once) {
    Optional<String> cert = p.value("webhook-cert-file");
    Optional<String> key = p.value("webhook-key-file");
    if (cert.isPresent() != key.isPresent()) {
      throw CliException.usage(
          "give both --webhook-cert-file and --webhook-key-file, or neither (missing --"
              + (cert.isPresent() ? "webhook-key-file" : "webhook-cert-file")
              + ")");
    }
    if (cert.isEmpty() || once) {
      return Optional.empty();
    }
    int port = port(p.value("webhook-port").orElse("8443"), "--webhook-port");
    int httpPort = port(p.value("http-port").orElse("8080"), "--http-port");
    if (port != 0 && port == httpPort) {
      throw CliException.usage(
          "--webhook-port and --http-port are both " + port + "; give them different ports");
    }
    for (String f : List.of(cert.get(), key.get())) {
      if (!java.nio.file.Files.isReadable(Path.of(f))) {
        throw CliException.usage(
            "cannot read "
                + f
                + " (--webhook-"
                + (f.equals(cert.get()) ? "cert" : "key")
                + "-file); mount the certificate Secret there");
      }
    }
    return Optional.of(
        new WebhookServer.Files(
            p.value("http-address").orElse("0.0.0.0"),
            port,
            Path.of(cert.get()),
            Path.of(key.get())));
  }

  /**
   * The webhook with the refresher's own certificate and registration: whenever no certificate
   * files are given (and not {@code --once}). Its namespace is the refresher's own.
   */
  static Optional<Refresher.SelfIssuedWebhook> selfIssued(
      Options.Parsed p, boolean filesOrOnce, String namespace) {
    Optional<String> url = p.value("webhook-url");
    if (filesOrOnce) {
      if (url.isPresent() && p.value("webhook-cert-file").isPresent()) {
        throw CliException.usage(
            "--webhook-url registers the refresher's own webhook, which it does only without"
                + " --webhook-cert-file/--webhook-key-file (then the registration is yours: put the"
                + " URL into it); give one or the other");
      }
      return Optional.empty();
    }
    int port = port(p.value("webhook-port").orElse("8443"), "--webhook-port");
    int httpPort = port(p.value("http-port").orElse("8080"), "--http-port");
    if (port != 0 && port == httpPort) {
      throw CliException.usage(
          "--webhook-port and --http-port are both " + port + "; give them different ports");
    }
    String service = p.value("webhook-service").orElse(DEFAULT_WEBHOOK_SERVICE).trim();
    String secret =
        p.value("webhook-certificate-secret").orElse(SelfIssuedCertificate.DEFAULT_SECRET).trim();
    for (String[] name :
        new String[][] {{"webhook-service", service}, {"webhook-certificate-secret", secret}}) {
      if (!name[1].matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name[1].length() > 63) {
        throw CliException.usage(
            "invalid --" + name[0] + " '" + name[1] + "': use a lower-case DNS label");
      }
    }
    WebhookCertificates.Lifetimes life;
    try {
      life =
          new WebhookCertificates.Lifetimes(
              p.value("webhook-ca-lifetime")
                  .map(SyncCommand::duration)
                  .orElse(WebhookCertificates.Lifetimes.DEFAULT.ca()),
              p.value("webhook-cert-lifetime")
                  .map(SyncCommand::duration)
                  .orElse(WebhookCertificates.Lifetimes.DEFAULT.serving()));
    } catch (IllegalArgumentException e) {
      throw CliException.usage(
          e.getMessage() + " (--webhook-ca-lifetime, --webhook-cert-lifetime)");
    }
    WebhookCertificates.Hosts hosts;
    Optional<String> registered = Optional.empty();
    if (url.isPresent()) {
      java.net.URI uri;
      try {
        uri = new java.net.URI(url.get().trim());
      } catch (java.net.URISyntaxException e) {
        uri = null;
      }
      if (uri == null
          || !"https".equals(uri.getScheme())
          || uri.getHost() == null
          || uri.getPort() < 1
          || !(uri.getRawPath() == null
              || uri.getRawPath().isEmpty()
              || uri.getRawPath().equals("/"))
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null
          || uri.getRawUserInfo() != null) {
        throw CliException.usage(
            "invalid --webhook-url '"
                + url.get()
                + "': use https://HOST:PORT (the refresher appends "
                + PodPullSecretWebhook.PATH
                + ")");
      }
      hosts = WebhookCertificates.Hosts.ofHost(uri.getHost());
      registered =
          Optional.of("https://" + uri.getHost() + ":" + uri.getPort() + PodPullSecretWebhook.PATH);
    } else {
      hosts = WebhookCertificates.Hosts.ofService(namespace, service);
    }
    return Optional.of(
        new Refresher.SelfIssuedWebhook(
            p.value("http-address").orElse("0.0.0.0"),
            port,
            new SelfIssuedCertificate.Spec(namespace, secret, hosts, life),
            new WebhookRegistration.Owned(namespace, registered, service, 443)));
  }

  /** The MutatingWebhookConfiguration entry to keep in line, when the webhook is served. */
  private static Optional<WebhookRegistration.Target> registration(
      Options.Parsed p, boolean served) {
    Optional<String> config = p.value("webhook-configuration-name");
    Optional<String> entry = p.value("webhook-name");
    if (p.flag("no-webhook-configuration-update")) {
      if (config.isPresent() || entry.isPresent()) {
        throw CliException.usage(
            "--no-webhook-configuration-update and --"
                + (config.isPresent() ? "webhook-configuration-name" : "webhook-name")
                + " contradict each other; give one");
      }
      return Optional.empty();
    }
    if (!served) {
      return Optional.empty();
    }
    String name = config.orElse(WebhookRegistration.DEFAULT_CONFIGURATION).trim();
    String hook = entry.orElse(WebhookRegistration.DEFAULT_WEBHOOK).trim();
    if (!name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || name.length() > 253) {
      throw CliException.usage(
          "invalid --webhook-configuration-name '"
              + name
              + "': use a Kubernetes object name (lower case letters, digits, '-' and '.')");
    }
    if (!hook.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || hook.length() > 253) {
      throw CliException.usage(
          "invalid --webhook-name '"
              + hook
              + "': use the entry's name under webhooks, e.g. "
              + WebhookRegistration.DEFAULT_WEBHOOK);
    }
    return Optional.of(new WebhookRegistration.Target(name, hook));
  }

  static ApiClient kubeClient(Optional<String> kubeconfig) {
    try {
      ApiClient client;
      if (kubeconfig.isPresent()) {
        String first = kubeconfig.get().split(java.io.File.pathSeparator)[0];
        client = Config.fromConfig(first);
      } else {
        client = Config.defaultClient();
      }
      // the API server's audit log and metrics then name the program and its version
      client.setUserAgent("acr-credential/" + Main.version());
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

  private static int port(String value, String option) {
    try {
      int port = Integer.parseInt(value.trim());
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw CliException.usage("invalid " + option + " '" + value + "': use 0..65535");
    }
  }

  /**
   * The write limit from {@code --write-rate} and {@code --write-burst}: empty when neither is
   * given (the library's default), the burst twice the rate (at least 1) when only the rate is.
   */
  static Optional<Refresher.WriteRate> writeRate(Optional<String> rate, Optional<String> burst) {
    if (rate.isEmpty() && burst.isEmpty()) {
      return Optional.empty();
    }
    double perSecond = 20;
    if (rate.isPresent()) {
      try {
        perSecond = Double.parseDouble(rate.get().trim());
      } catch (NumberFormatException e) {
        perSecond = Double.NaN;
      }
      if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
        throw CliException.usage(
            "invalid --write-rate '"
                + rate.get()
                + "': use a positive number of writes per second");
      }
    }
    int b;
    if (burst.isPresent()) {
      try {
        b = Integer.parseInt(burst.get().trim());
      } catch (NumberFormatException e) {
        b = 0;
      }
      if (b < 1) {
        throw CliException.usage(
            "invalid --write-burst '" + burst.get() + "': use a whole number of at least 1");
      }
    } else {
      b = (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(perSecond * 2)));
    }
    return Optional.of(new Refresher.WriteRate(perSecond, b));
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
  static Duration duration(String value) {
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

  private static String defaultIdentity() {
    try {
      return InetAddress.getLocalHost().getHostName()
          + "-"
          + UUID.randomUUID().toString().substring(0, 8);
    } catch (IOException e) {
      return "acr-credential-" + UUID.randomUUID().toString().substring(0, 8);
    }
  }
}
