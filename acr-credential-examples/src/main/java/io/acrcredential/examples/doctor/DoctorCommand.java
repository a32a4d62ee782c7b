package io.acrcredential.examples.doctor;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.examples.cli.AcrEndpoints;
import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.ClusterOptions;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.sync.SelfIssuedCertificate;
import io.acrcredential.examples.sync.SyncCommand;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.acrcredential.k8s.webhook.WebhookRegistration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code doctor}: why a Pod cannot pull its ACR image, and what to change. The checks live in
 * {@link Doctor}; this class parses the options and prints the report.
 */
public final class DoctorCommand extends BasicCommand {

  private static final Options OPTIONS =
      new Options("doctor")
          .value("pod", "NS/NAME", null, "the Pod to diagnose")
          .value("image", "REF", null, "an image, for a Pod not created yet (with --namespace)")
          .value("namespace", "NS", null, "the namespace of --image")
          .value("service-account", "SA", null, "the ServiceAccount of --image (default 'default')")
          .with(ClusterOptions::refresher)
          .value(
              "refresher-service-account",
              "NS/NAME",
              null,
              "the refresher's ServiceAccount, for the RBAC check (default"
                  + " kube-system/acr-credential)")
          .value(
              "webhook-configuration-name",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_CONFIGURATION_NAME",
              "MutatingWebhookConfiguration of the Pod webhook (default "
                  + WebhookRegistration.DEFAULT_CONFIGURATION
                  + ")")
          .value(
              "webhook-name",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_NAME",
              "its entry (default " + WebhookRegistration.DEFAULT_WEBHOOK + ")")
          .value(
              "webhook-certificate-secret",
              "NAME",
              "ACR_CREDENTIAL_WEBHOOK_CERTIFICATE_SECRET",
              "the Secret in the refresher's namespace with the webhook certificate it issues"
                  + " itself (default "
                  + SelfIssuedCertificate.DEFAULT_SECRET
                  + ")")
          .value(
              "credential-provider-config",
              "FILE",
              null,
              "the kubelet's CredentialProviderConfig, for nodes using the kubelet plugin")
          .flag("skip-acr", "do not ask ACR for a token (no RAM check)")
          .flag("skip-registry-login", "do not log in to the registry with the Secret's token")
          .value("timeout", "DURATION", null, "time limit of each registry request (default 10s)")
          .value("output", "FORMAT", null, "text (default) or json")
          .with(ClusterOptions::kubeconfig)
          .with(ClusterOptions.region("the cluster's region, as given to sync"))
          .with(ClusterOptions::endpoints);

  /** The command with its options and help. */
  public DoctorCommand() {
    super(
        "doctor",
        "say why a Pod cannot pull its ACR image, and what to change",
        "Usage: acr-credential doctor --pod NS/NAME [options]\n"
            + "       acr-credential doctor --image REF --namespace NS [--service-account SA]\n\n"
            + "Checks, in order and read-only, with your kubeconfig: the image host, the\n"
            + "configuration (namespace watched, ServiceAccount included, host configured), ACR\n"
            + "(GetAuthorizationToken with the configured identity), the refresher's RBAC, the pull\n"
            + "Secret (present, ours, expiry), a registry login with it, the ServiceAccount's and\n"
            + "the Pod's imagePullSecrets, the Pod webhook, the Pod's events and, with\n"
            + "--credential-provider-config, the kubelet plugin's matchImages. Prints one line per\n"
            + "check and a conclusion naming the object and the change; never a secret.\n\n"
            + "Exit: 0 the Pod can pull, 1 it cannot (see the conclusion), 2 doctor could not check.\n"
            + "Needs get/list on what it reads and create on subjectaccessreviews; names what is\n"
            + "missing. ACR is asked with the ConfigMap's identity; for the default credential chain\n"
            + "that is this process's environment, not the refresher's.\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    p.requireNoPositional();
    boolean json = p.jsonOutput();
    Optional<String> pod = p.value("pod");
    Optional<String> image = p.value("image");
    if (pod.isPresent() == image.isPresent()) {
      throw CliException.usage("give either --pod NS/NAME or --image REF --namespace NS");
    }
    if (pod.isPresent()) {
      pod = Optional.of(objectRef(pod.get(), "--pod"));
      for (String o : List.of("namespace", "service-account")) {
        if (p.value(o).isPresent()) {
          throw CliException.usage("--" + o + " goes with --image; a Pod has its own");
        }
      }
    } else if (p.value("namespace").isEmpty()) {
      throw CliException.usage("--image needs --namespace NS");
    }
    String configMap =
        objectRef(p.value("configmap").orElse(SyncCommand.DEFAULT_CONFIGMAP), "--configmap");
    String refresher =
        objectRef(
            p.value("refresher-service-account").orElse("kube-system/acr-credential"),
            "--refresher-service-account");
    Duration timeout = p.value("timeout").map(SyncCommand::duration).orElse(Duration.ofSeconds(10));
    AcrConfigParser parser = ClusterOptions.configParser(p);
    AcrEndpoints endpoints = AcrEndpoints.from(p);
    Optional<Function<RegistryEntry, RegistryCredential>> acr =
        p.flag("skip-acr") ? Optional.empty() : Optional.of(e -> fetch(e, endpoints, io));
    Doctor.Settings settings;
    try {
      int slash = configMap.indexOf('/');
      settings =
          new Doctor.Settings(
              SyncCommand.kubeClient(p.value("kubeconfig")),
              configMap.substring(0, slash),
              configMap.substring(slash + 1),
              p.value("instance").orElse("default"),
              parser,
              pod,
              image,
              p.value("namespace"),
              p.value("service-account"),
              acr,
              refresher,
              p.value("webhook-configuration-name")
                  .orElse(WebhookRegistration.DEFAULT_CONFIGURATION),
              p.value("webhook-name").orElse(WebhookRegistration.DEFAULT_WEBHOOK),
              p.value("webhook-certificate-secret").orElse(SelfIssuedCertificate.DEFAULT_SECRET),
              p.value("credential-provider-config").map(Path::of),
              !p.flag("skip-registry-login"),
              timeout,
              io.clock());
    } catch (CliException e) {
      throw new CliException(DoctorReport.NOT_CHECKED, e.getMessage(), e);
    }
    DoctorReport report = Doctor.run(settings);
    io.out().print(json ? report.json() : report.text());
    io.out().flush();
    return report.exitCode();
  }

  /** One token from ACR with the entry's identity; the caller never prints it. */
  private static RegistryCredential fetch(
      RegistryEntry entry, AcrEndpoints endpoints, Invocation io) {
    RegistryTokenProviders identities =
        RegistryTokenProviders.builder().environment(io.env()).clock(io.clock()).build();
    AcrTokenProvider.Builder b =
        AcrTokenProvider.builder().credentials(identities.credentials(entry.identity()));
    endpoints.acr().ifPresent(b::endpoint);
    endpoints.sts().ifPresent(b::stsEndpoint);
    endpoints.metadata().ifPresent(b::metadataEndpoint);
    try (AcrTokenProvider provider = b.clock(io.clock()).build()) {
      return provider.fetch(entry.target());
    }
  }

  /** Checks {@code NAMESPACE/NAME}. */
  static String objectRef(String ref, String option) {
    int slash = ref.indexOf('/');
    if (slash <= 0
        || slash == ref.length() - 1
        || ref.indexOf('/', slash + 1) >= 0
        || !ref.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
      throw CliException.usage("invalid " + option + " '" + ref + "': use NAMESPACE/NAME");
    }
    return ref;
  }
}
