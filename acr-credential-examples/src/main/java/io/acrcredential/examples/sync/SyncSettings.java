package io.acrcredential.examples.sync;

import io.acrcredential.examples.cli.AcrEndpoints;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.ClusterOptions;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.webhook.PodPullSecretWebhook;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code sync}'s options turned into {@link Refresher.Settings}: every value checked, a usage error
 * naming the option to fix otherwise. The options themselves and their help are {@link
 * SyncCommand}'s.
 */
final class SyncSettings {

  private SyncSettings() {}

  /**
   * The refresher's settings from the parsed command line.
   *
   * @param once {@code --once}: no lease and no webhook
   * @throws CliException a usage error naming the option, or a failure to load the kubeconfig
   */
  static Refresher.Settings parse(Options.Parsed p, Invocation io, boolean once) {
    Optional<Refresher.WriteRate> writeRate =
        writeRate(p.value("write-rate"), p.value("write-burst"));
    if (p.value("config").isPresent() && p.value("configmap").isPresent()) {
      throw CliException.usage("give either --config or --configmap, not both");
    }
    AcrConfigParser parser = ClusterOptions.configParser(p);
    AcrEndpoints endpoints = AcrEndpoints.from(p);
    ApiClient api = SyncCommand.kubeClient(p.value("kubeconfig"));
    ApiClient watchApi = SyncCommand.kubeClient(p.value("kubeconfig"));
    ConfigSource source;
    String configNamespace = "kube-system";
    if (p.value("config").isPresent()) {
      source = new ConfigSource.FromFile(Path.of(p.value("config").get()));
    } else {
      String ref = p.value("configmap").orElse(SyncCommand.DEFAULT_CONFIGMAP);
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
                  p.value("lease-name").orElse(SyncCommand.DEFAULT_LEASE),
                  p.value("identity").orElseGet(SyncSettings::defaultIdentity),
                  d,
                  renew,
                  retry));
    }
    Optional<WebhookServer.Files> webhook = webhookFiles(p, once);
    Optional<Refresher.SelfIssuedWebhook> selfIssued =
        selfIssued(
            p, once || webhook.isPresent(), p.value("lease-namespace").orElse(configNamespace));
    return new Refresher.Settings(
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
  }

  /** The webhook's listen address and files; both files or neither. */
  static Optional<WebhookServer.Files> webhookFiles(Options.Parsed p, boolean once) {
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
    int port = webhookPort(p);
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
    int port = webhookPort(p);
    String service = p.value("webhook-service").orElse(SyncCommand.DEFAULT_WEBHOOK_SERVICE).trim();
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
  static Optional<WebhookRegistration.Target> registration(Options.Parsed p, boolean served) {
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

  /** {@code --webhook-port} (default 8443), checked against {@code --http-port} (default 8080). */
  static int webhookPort(Options.Parsed p) {
    int port = port(p.value("webhook-port").orElse("8443"), "--webhook-port");
    int httpPort = port(p.value("http-port").orElse("8080"), "--http-port");
    if (port != 0 && port == httpPort) {
      throw CliException.usage(
          "--webhook-port and --http-port are both " + port + "; give them different ports");
    }
    return port;
  }

  static int port(String value, String option) {
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
