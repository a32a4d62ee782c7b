package io.acrcredential.examples.doctor;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.RegistryEntry;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Status;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code acr-credential doctor}: says why a Pod cannot pull its ACR image and what to change. Runs
 * read-only checks against the live cluster in a fixed order (image host, configuration, namespace,
 * ServiceAccount scope, registry, ACR/RAM, RBAC, Secret, registry login, ServiceAccount and Pod
 * {@code imagePullSecrets}, webhook, Pod events, kubelet plugin configuration) and concludes with
 * the most basic failure found. Never prints a secret value.
 *
 * <p>The checks live in one package-private class per group ({@code TargetCheck}, then the {@code
 * Step}s {@code ScopeChecks}, {@code AcrChecks}, {@code SecretChecks}, {@code PullSecretLists},
 * {@code WebhookCheck}, {@code PodEventsCheck}, {@code PluginCheck}), sharing what they found in
 * {@code Findings}; the registry API login is {@code RegistryLogin}.
 */
public final class Doctor {

  private Doctor() {}

  /** The outcome of one check. */
  public enum Outcome {
    /** The check found nothing wrong. */
    PASSED("passed"),
    /** The check found what keeps the Pod from pulling. */
    FAILED("failed"),
    /** The check does not apply here. */
    NOT_APPLICABLE("not applicable"),
    /** Doctor could not check (a permission, an unreachable service). */
    UNKNOWN("not checked");

    private final String label;

    Outcome(String label) {
      this.label = label;
    }

    /**
     * The word shown in the report.
     *
     * @return e.g. {@code not applicable}
     */
    public String label() {
      return label;
    }
  }

  /**
   * One check's result.
   *
   * @param name the check, e.g. {@code namespace}
   * @param outcome passed, failed, not applicable or not checked
   * @param detail one line saying what was found
   * @param fix up to three lines naming the object and the change, for a failure; else empty
   * @param rank how basic a cause this check's failure is (lower = concluded first)
   */
  public record Check(String name, Outcome outcome, String detail, List<String> fix, int rank) {

    /**
     * Copies the fix lines.
     *
     * @param name the check
     * @param outcome the outcome
     * @param detail what was found
     * @param fix what to change
     * @param rank how basic a cause it is
     */
    public Check {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(detail, "detail");
      fix = List.copyOf(fix);
    }
  }

  /**
   * What to check and how.
   *
   * @param api the Kubernetes client (the caller's kubeconfig)
   * @param configMapNamespace namespace of the {@code acr-configuration} ConfigMap
   * @param configMapName its name
   * @param instance the refresher's instance name (label on its Secrets)
   * @param parser the configuration parser (with the cluster's region, if known)
   * @param pod the Pod as {@code NAMESPACE/NAME}, or empty with {@code image}
   * @param image the image for a Pod not created yet
   * @param namespace the namespace for {@code image}
   * @param serviceAccount the ServiceAccount for {@code image} ({@code default} when empty)
   * @param acr asks ACR for a token for an entry with its configured identity; empty to skip
   * @param refresher the refresher's ServiceAccount as {@code NAMESPACE/NAME}, for the RBAC check
   * @param webhookConfiguration the MutatingWebhookConfiguration's name
   * @param webhookName the entry's name in it
   * @param webhookCertificateSecret the Secret in the refresher's namespace holding the webhook
   *     certificate the refresher issues itself (when it registers the webhook itself)
   * @param credentialProviderConfig the kubelet's credential provider configuration, if given
   * @param registryLogin whether to log in to the registry with the Secret's credentials
   * @param timeout time limit of each request to the registry
   * @param clock the clock for expiry
   */
  public record Settings(
      ApiClient api,
      String configMapNamespace,
      String configMapName,
      String instance,
      AcrConfigParser parser,
      Optional<String> pod,
      Optional<String> image,
      Optional<String> namespace,
      Optional<String> serviceAccount,
      Optional<Function<RegistryEntry, RegistryCredential>> acr,
      String refresher,
      String webhookConfiguration,
      String webhookName,
      String webhookCertificateSecret,
      Optional<Path> credentialProviderConfig,
      boolean registryLogin,
      Duration timeout,
      Clock clock) {

    /**
     * Checks for nulls.
     *
     * @param api the client
     * @param configMapNamespace the ConfigMap's namespace
     * @param configMapName the ConfigMap's name
     * @param instance the instance name
     * @param parser the parser
     * @param pod the Pod
     * @param image the image
     * @param namespace the namespace
     * @param serviceAccount the ServiceAccount
     * @param acr the ACR call
     * @param refresher the refresher's ServiceAccount
     * @param webhookConfiguration the webhook registration
     * @param webhookName the webhook entry
     * @param webhookCertificateSecret the refresher's webhook certificate Secret
     * @param credentialProviderConfig the kubelet plugin configuration
     * @param registryLogin whether to log in
     * @param timeout the registry time limit
     * @param clock the clock
     */
    public Settings {
      Objects.requireNonNull(api, "api");
      Objects.requireNonNull(configMapNamespace, "configMapNamespace");
      Objects.requireNonNull(configMapName, "configMapName");
      Objects.requireNonNull(instance, "instance");
      Objects.requireNonNull(parser, "parser");
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(image, "image");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(serviceAccount, "serviceAccount");
      Objects.requireNonNull(acr, "acr");
      Objects.requireNonNull(refresher, "refresher");
      Objects.requireNonNull(webhookConfiguration, "webhookConfiguration");
      Objects.requireNonNull(webhookName, "webhookName");
      Objects.requireNonNull(webhookCertificateSecret, "webhookCertificateSecret");
      Objects.requireNonNull(credentialProviderConfig, "credentialProviderConfig");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(clock, "clock");
      if (pod.isPresent() == image.isPresent()) {
        throw new IllegalArgumentException("give either a Pod or an image with its namespace");
      }
      if (image.isPresent() && namespace.isEmpty()) {
        throw new IllegalArgumentException("an image needs its namespace");
      }
      for (String ref : List.of(pod.orElse("a/b"), refresher)) {
        int slash = ref.indexOf('/');
        if (slash <= 0 || slash == ref.length() - 1) {
          throw new IllegalArgumentException("expected NAMESPACE/NAME, got " + ref);
        }
      }
    }
  }

  /**
   * Runs the checks.
   *
   * @param settings what to check
   * @return the report
   */
  public static DoctorReport run(Settings settings) {
    Findings f = new Findings(settings);
    String target;
    try {
      target = TargetCheck.target(f);
    } catch (Findings.Stop stop) {
      return DoctorReport.of(stop.target, f.checks);
    }
    for (Step step : STEPS) {
      step.run(f);
    }
    return DoctorReport.of(target, f.checks);
  }

  // ranks: how basic a cause; the conclusion names the failed check with the lowest rank
  static final int RANK_TARGET = 0;
  // the kubelet plugin missing the image, for a Pod the pull Secrets do not cover either
  static final int RANK_PLUGIN_ONLY_PATH = 5;
  static final int RANK_CONFIG = 10;
  static final int RANK_NAMESPACE = 20;
  static final int RANK_SERVICE_ACCOUNT = 30;
  static final int RANK_REGISTRY = 40;
  static final int RANK_ACR = 50;
  static final int RANK_RBAC = 55;
  static final int RANK_SECRET = 60;
  static final int RANK_LOGIN = 70;
  // a webhook that should have added the pull Secret explains a Pod without it
  static final int RANK_WEBHOOK = 75;
  static final int RANK_SA_LIST = 80;
  static final int RANK_POD_LIST = 90;
  static final int RANK_PLUGIN = 110;
  static final int RANK_EVENTS = 120;

  /** The groups of checks after the target, in their order. */
  private static final List<Step> STEPS =
      List.of(
          new ScopeChecks(),
          new AcrChecks(),
          new SecretChecks(),
          new PullSecretLists(),
          new WebhookCheck(),
          new PodEventsCheck(),
          new PluginCheck());

  /**
   * A Kubernetes API failure as a "could not check" line: for 403 the verb, resource and namespace
   * the caller lacks.
   */
  static String apiProblem(ApiException e, String verb, String resource, String namespace) {
    String where = namespace == null ? "" : " in namespace " + namespace;
    if (e.getCode() == 403) {
      return "cannot check: forbidden to "
          + verb
          + " "
          + resource
          + where
          + "; grant the user running doctor '"
          + verb
          + "' on "
          + resource
          + where
          + status(e);
    }
    if (e.getCode() == 0) {
      return "cannot reach the Kubernetes API server: "
          + Text.bounded(
              e.getCause() != null ? String.valueOf(e.getCause().getMessage()) : e.getMessage(),
              200);
    }
    return "cannot " + verb + " " + resource + where + ": HTTP " + e.getCode() + status(e);
  }

  private static String status(ApiException e) {
    String body = e.getResponseBody();
    if (body == null || body.isBlank()) {
      return "";
    }
    try {
      V1Status st = io.kubernetes.client.openapi.JSON.getGson().fromJson(body, V1Status.class);
      return st != null && st.getMessage() != null
          ? " (" + Text.bounded(st.getMessage(), 200) + ")"
          : "";
    } catch (RuntimeException ex) {
      return "";
    }
  }
}
