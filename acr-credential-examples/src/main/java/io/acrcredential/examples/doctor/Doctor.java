package io.acrcredential.examples.doctor;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.acr.AcrDomains;
import io.acrcredential.core.acr.AcrHost;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.ConfigProblem;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.NamedInstanceRegistry;
import io.acrcredential.k8s.config.RegistryEntry;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.AuthorizationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.DiscoveryV1Api;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1ServiceReference;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1ResourceAttributes;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1Status;
import io.kubernetes.client.openapi.models.V1SubjectAccessReview;
import io.kubernetes.client.openapi.models.V1SubjectAccessReviewSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code acr-credential doctor}: says why a Pod cannot pull its ACR image and what to change. Runs
 * read-only checks against the live cluster in a fixed order (image host, configuration, namespace,
 * ServiceAccount scope, registry, ACR/RAM, RBAC, Secret, registry login, ServiceAccount and Pod
 * {@code imagePullSecrets}, webhook, Pod events, kubelet plugin configuration) and concludes with
 * the most basic failure found. Never prints a secret value.
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
    return new Run(settings).run();
  }

  // ranks: how basic a cause; the conclusion names the failed check with the lowest rank
  static final int RANK_TARGET = 0;
  static final int RANK_CONFIG = 10;
  static final int RANK_NAMESPACE = 20;
  static final int RANK_SERVICE_ACCOUNT = 30;
  static final int RANK_REGISTRY = 40;
  static final int RANK_ACR = 50;
  static final int RANK_RBAC = 55;
  static final int RANK_SECRET = 60;
  static final int RANK_LOGIN = 70;
  static final int RANK_SA_LIST = 80;
  static final int RANK_POD_LIST = 90;
  static final int RANK_WEBHOOK = 100;
  static final int RANK_PLUGIN = 110;
  static final int RANK_EVENTS = 120;

  private static final class Run {
    private final Settings s;
    private final CoreV1Api core;
    private final List<Check> checks = new ArrayList<>();
    private final String cm;
    private String ns;
    private String sa;
    private V1Pod pod;
    private ImageReference image;
    private AcrConfiguration config;
    private RegistryEntry entry;
    private String domain;
    private String secretName;
    private DockerConfig.Auth auth;
    private boolean secretExpired;
    private V1ServiceAccount account;
    private Check acrCheck;
    private final Map<Object, RegistryCredential> fetched = new HashMap<>();
    private final Map<Object, TokenException> acrFailures = new HashMap<>();

    Run(Settings s) {
      this.s = s;
      this.core = new CoreV1Api(s.api());
      this.cm = s.configMapNamespace() + "/" + s.configMapName();
    }

    private void add(String name, Outcome o, String detail, int rank, String... fix) {
      checks.add(new Check(name, o, Text.bounded(detail, 400), List.of(fix), rank));
    }

    private void pass(String name, String detail) {
      add(name, Outcome.PASSED, detail, 0);
    }

    private void na(String name, String detail) {
      add(name, Outcome.NOT_APPLICABLE, detail, 0);
    }

    private void unknown(String name, String detail) {
      add(name, Outcome.UNKNOWN, detail, 0);
    }

    DoctorReport run() {
      String target;
      try {
        target = target();
      } catch (Stop stop) {
        return DoctorReport.of(stop.target, checks);
      }
      configuration();
      namespace();
      serviceAccountScope();
      registry();
      acr();
      rbac();
      secret();
      login();
      serviceAccountList();
      podList();
      webhook();
      events();
      plugin();
      return DoctorReport.of(target, checks);
    }

    /** Thrown when there is nothing to check. */
    private static final class Stop extends RuntimeException {
      private static final long serialVersionUID = 1L;
      final String target;

      Stop(String target) {
        super(null, null, false, false);
        this.target = target;
      }
    }

    private String target() {
      if (s.pod().isPresent()) {
        String ref = s.pod().get();
        int slash = ref.indexOf('/');
        ns = ref.substring(0, slash);
        String name = ref.substring(slash + 1);
        try {
          pod = core.readNamespacedPod(name, ns).execute();
        } catch (ApiException e) {
          add(
              "pod",
              Outcome.UNKNOWN,
              e.getCode() == 404 ? "Pod " + ref + " not found" : apiProblem(e, "get", "pods", ns),
              RANK_TARGET);
          throw new Stop("Pod " + ref);
        }
        sa =
            pod.getSpec() == null || pod.getSpec().getServiceAccountName() == null
                ? "default"
                : pod.getSpec().getServiceAccountName();
        String chosen = pickImage(pod);
        if (chosen == null) {
          add("pod", Outcome.UNKNOWN, "Pod " + ref + " has no container image", RANK_TARGET);
          throw new Stop("Pod " + ref);
        }
        parseImage(chosen, "Pod " + ref);
        return "Pod " + ref + ", image " + image + ", ServiceAccount " + sa;
      }
      ns = s.namespace().get();
      sa = s.serviceAccount().orElse("default");
      parseImage(s.image().get(), "image");
      return "image " + image + " in namespace " + ns + ", ServiceAccount " + sa;
    }

    private void parseImage(String ref, String target) {
      try {
        image = ImageReference.parse(ref);
      } catch (IllegalArgumentException e) {
        add("image host", Outcome.UNKNOWN, e.getMessage(), RANK_TARGET);
        throw new Stop(target);
      }
      Optional<AcrHost> host = AcrHost.parse(image.host());
      if (host.isPresent()) {
        AcrHost h = host.get();
        pass(
            "image host",
            image.host()
                + " is ACR "
                + (h.edition() == RegistryEdition.ENTERPRISE
                    ? "Enterprise Edition instance " + h.instanceName().orElse("?")
                    : "Personal Edition"
                        + h.personalInstanceId().map(id -> " instance " + id).orElse(""))
                + " in "
                + h.regionId()
                + " ("
                + h.network().name().toLowerCase(Locale.ROOT)
                + (h.distributed() ? ", P2P" : "")
                + (h.international() ? ", international" : "")
                + ")");
      } else {
        pass(
            "image host",
            image.host() + " is not an ACR host name; it can still be a configured custom domain");
      }
    }

    /** The image the Pod fails to pull, else its first ACR image, else its first image. */
    private static String pickImage(V1Pod pod) {
      List<String> images = new ArrayList<>();
      if (pod.getSpec() != null) {
        if (pod.getSpec().getInitContainers() != null) {
          pod.getSpec().getInitContainers().forEach(c -> images.add(c.getImage()));
        }
        if (pod.getSpec().getContainers() != null) {
          pod.getSpec().getContainers().forEach(c -> images.add(c.getImage()));
        }
      }
      images.removeIf(Objects::isNull);
      if (pod.getStatus() != null) {
        List<V1ContainerStatus> statuses = new ArrayList<>();
        if (pod.getStatus().getInitContainerStatuses() != null) {
          statuses.addAll(pod.getStatus().getInitContainerStatuses());
        }
        if (pod.getStatus().getContainerStatuses() != null) {
          statuses.addAll(pod.getStatus().getContainerStatuses());
        }
        for (V1ContainerStatus cs : statuses) {
          if (cs.getState() != null
              && cs.getState().getWaiting() != null
              && pullFailure(cs.getState().getWaiting().getReason())
              && cs.getImage() != null) {
            return cs.getImage();
          }
        }
      }
      for (String i : images) {
        try {
          if (AcrHost.parse(ImageReference.parse(i).host()).isPresent()) {
            return i;
          }
        } catch (IllegalArgumentException e) {
          // not a valid reference: keep looking
        }
      }
      return images.isEmpty() ? null : images.get(0);
    }

    private static boolean pullFailure(String reason) {
      return "ErrImagePull".equals(reason) || "ImagePullBackOff".equals(reason);
    }

    private void configuration() {
      V1ConfigMap map;
      try {
        map = core.readNamespacedConfigMap(s.configMapName(), s.configMapNamespace()).execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          add(
              "configuration",
              Outcome.FAILED,
              "ConfigMap " + cm + " not found",
              RANK_CONFIG,
              "ConfigMap "
                  + cm
                  + " does not exist; create it (deploy/base/configmap.yaml) or point",
              "--configmap at the one the refresher reads");
        } else {
          unknown("configuration", apiProblem(e, "get", "configmaps", s.configMapNamespace()));
        }
        return;
      }
      ConfigParseResult parsed = s.parser().parse(map.getData() == null ? Map.of() : map.getData());
      config = parsed.config();
      String problems =
          parsed.errors().stream()
              .map(ConfigProblem::key)
              .distinct()
              .reduce((a, b) -> a + ", " + b)
              .map(k -> "; invalid keys (the refresher keeps their previous values): " + k)
              .orElse("");
      int registries = config.registries().size() + config.registriesByInstanceName().size();
      if (registries == 0) {
        add(
            "configuration",
            Outcome.FAILED,
            "ConfigMap " + cm + " configures no registry" + problems,
            RANK_CONFIG,
            "ConfigMap "
                + cm
                + " lists no registry: add the instance to acr-registry-info"
                + (problems.isEmpty() ? "" : " and fix " + problems.substring(2)));
        return;
      }
      pass(
          "configuration",
          "ConfigMap "
              + cm
              + ": "
              + registries
              + " registr"
              + (registries == 1 ? "y" : "ies")
              + problems);
    }

    private void namespace() {
      if (config == null) {
        na("namespace", "no configuration");
        return;
      }
      Map<String, String> labels = Map.of();
      if (config.namespaces().selector().isPresent()) {
        try {
          V1Namespace n = core.readNamespace(ns).execute();
          labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        } catch (ApiException e) {
          unknown("namespace", apiProblem(e, "get", "namespaces", null));
          return;
        }
      }
      if (config.namespaces().includes(ns, labels)) {
        pass("namespace", "namespace " + ns + " is in scope of " + cm);
        return;
      }
      if (config.namespaces().isExcluded(ns)) {
        add(
            "namespace",
            Outcome.FAILED,
            "namespace " + ns + " is excluded by exclude-namespace",
            RANK_NAMESPACE,
            "namespace " + ns + " is excluded by exclude-namespace (" + cm + "); remove it there");
        return;
      }
      String selector =
          config
              .namespaces()
              .selector()
              .map(x -> ", nor matches watch-namespace-selector " + x)
              .orElse("");
      add(
          "namespace",
          Outcome.FAILED,
          "namespace " + ns + " is not in watch-namespace" + selector,
          RANK_NAMESPACE,
          "namespace " + ns + " is not in watch-namespace (" + cm + "); add it or use a selector");
    }

    private void serviceAccountScope() {
      if (config == null) {
        na("service account", "no configuration");
        return;
      }
      if (config.serviceAccounts().includes(sa)) {
        pass(
            "service account",
            "ServiceAccount "
                + sa
                + " is included"
                + (config.serviceAccounts().patch() ? "" : " (patch-service-accounts: false)"));
        return;
      }
      add(
          "service account",
          Outcome.FAILED,
          "ServiceAccount " + sa + " is not in service-account " + config.serviceAccounts().names(),
          RANK_SERVICE_ACCOUNT,
          "ServiceAccount " + ns + "/" + sa + " is not in service-account (" + cm + ");",
          "add " + sa + " there, or run the Pod as one of " + config.serviceAccounts().names());
    }

    private void registry() {
      if (config == null) {
        na("registry", "no configuration");
        return;
      }
      String host = image.host();
      for (RegistryEntry e : config.registries()) {
        List<String> domains = e.target().domains();
        if (domains.isEmpty() && e.target().edition() == RegistryEdition.PERSONAL) {
          domains = AcrDomains.personalAll(e.target().regionId());
        }
        for (String d : domains) {
          if (d.equalsIgnoreCase(host)) {
            entry = e;
            domain = d.toLowerCase(Locale.ROOT);
            secretName = config.secretLayout().secretNameFor(domain);
            pass("registry", host + " is a domain of " + describe(e));
            return;
          }
        }
      }
      // Enterprise Edition entries without listed domains: ACR says which domains they have
      Optional<AcrHost> acrHost = AcrHost.parse(host);
      List<RegistryEntry> unconfirmed = new ArrayList<>();
      for (RegistryEntry e : config.registries()) {
        if (e.target().domains().isEmpty()
            && e.target().edition() == RegistryEdition.ENTERPRISE
            && acrHost.map(h -> h.regionId().equals(e.target().regionId())).orElse(false)) {
          Optional<RegistryCredential> c = fetch(e);
          if (c.isPresent() && c.get().domains().stream().anyMatch(host::equalsIgnoreCase)) {
            entry = e;
            domain = host;
            secretName = config.secretLayout().secretNameFor(domain);
            pass("registry", host + " is a domain of " + describe(e) + " (as ACR lists it)");
            return;
          }
          if (c.isEmpty()) {
            unconfirmed.add(e);
          }
        }
      }
      if (unconfirmed.size() == 1) {
        // ACR could not be asked (skipped or refusing): the region's only candidate is assumed,
        // so that the ACR check below says why
        entry = unconfirmed.get(0);
        domain = host;
        secretName = config.secretLayout().secretNameFor(domain);
        pass(
            "registry",
            host
                + " is assumed to be a domain of "
                + describe(entry)
                + " (its domains are not listed and ACR did not list them)");
        return;
      }
      for (NamedInstanceRegistry n : config.registriesByInstanceName()) {
        List<String> domains =
            n.domains().isEmpty()
                ? AcrDomains.enterprise(n.instanceName(), n.regionId())
                : n.domains();
        if (domains.stream().anyMatch(host::equalsIgnoreCase)) {
          domain = host;
          secretName = config.secretLayout().secretNameFor(domain);
          pass(
              "registry",
              host + " is a domain of instance " + n.instanceName() + " (" + n.origin() + ")");
          return;
        }
      }
      add(
          "registry",
          Outcome.FAILED,
          host + " is not a domain of any configured registry",
          RANK_REGISTRY,
          "image host "
              + host
              + " is not a domain of any registry in acr-registry-info ("
              + cm
              + ");",
          "add its instance with domains: " + host + " (VPC and custom domains must be listed)");
    }

    private static String describe(RegistryEntry e) {
      return e.target().describe() + (e.origin().isEmpty() ? "" : " (" + e.origin() + ")");
    }

    private Optional<RegistryCredential> fetch(RegistryEntry e) {
      if (s.acr().isEmpty()) {
        return Optional.empty();
      }
      if (fetched.containsKey(e.target())) {
        return Optional.ofNullable(fetched.get(e.target()));
      }
      try {
        RegistryCredential c = s.acr().get().apply(e);
        fetched.put(e.target(), c);
        return Optional.of(c);
      } catch (TokenException ex) {
        fetched.put(e.target(), null);
        acrFailures.put(e.target(), ex);
        return Optional.empty();
      } catch (RuntimeException ex) {
        fetched.put(e.target(), null);
        acrFailures.put(
            e.target(),
            new TokenException(
                TokenException.Reason.INVALID_CONFIGURATION,
                null,
                Text.bounded(ex.getMessage(), 200)));
        return Optional.empty();
      }
    }

    private void acr() {
      if (entry == null) {
        na(
            "acr",
            domain != null
                ? "instance configured by name only (acr-registry)"
                : "no configured registry");
        return;
      }
      if (s.acr().isEmpty()) {
        na("acr", "skipped (--skip-acr)");
        return;
      }
      Optional<RegistryCredential> c = fetch(entry);
      String who = identity(entry.identity());
      if (c.isPresent()) {
        pass(
            "acr",
            "GetAuthorizationToken for " + entry.target().describe() + " succeeded as " + who);
        return;
      }
      TokenException e = acrFailures.get(entry.target());
      if (e == null) {
        unknown("acr", "GetAuthorizationToken failed without a reason");
        return;
      }
      String code = e.errorCode().map(x -> " [" + x + "]").orElse("");
      String message = Text.bounded(e.getMessage(), 200) + code;
      switch (e.reason()) {
        case PERMISSION_DENIED -> {
          String resource =
              entry
                  .target()
                  .instanceId()
                  .map(
                      id ->
                          "instance "
                              + id
                              + " (acs:cr:"
                              + entry.target().regionId()
                              + ":*:instance/"
                              + id
                              + ")")
                  .orElse("the Personal Edition registry in " + entry.target().regionId());
          add(
              "acr",
              Outcome.FAILED,
              "ACR refused GetAuthorizationToken as " + who + ": " + message,
              RANK_ACR,
              "ACR refuses tokens" + code + ": grant cr:GetAuthorizationToken on " + resource,
              "to " + who);
          acrCheck = checks.get(checks.size() - 1);
        }
        case INVALID_CREDENTIALS, NOT_FOUND, INVALID_CONFIGURATION -> {
          add(
              "acr",
              Outcome.FAILED,
              "GetAuthorizationToken for "
                  + entry.target().describe()
                  + " failed as "
                  + who
                  + ": "
                  + message,
              RANK_ACR,
              "ACR cannot issue a token for " + entry.target().describe() + code + ":",
              Text.bounded(e.getMessage(), 200),
              "fix the identity or the registry in acr-registry-info (" + cm + ")");
          acrCheck = checks.get(checks.size() - 1);
        }
        default -> unknown("acr", "cannot reach ACR as " + who + ": " + message);
      }
    }

    private static String identity(IdentitySpec id) {
      String base;
      if (id.source() instanceof IdentitySpec.AccessKey k) {
        base = "AccessKey " + k.maskedId();
      } else if (id.source() instanceof IdentitySpec.Rrsa r) {
        base = "RRSA role " + r.roleArn().orElse("(from the Pod's environment)");
      } else {
        base = "the default credential chain of this process";
      }
      return base + id.assumeRole().map(a -> ", assuming " + a.roleArn()).orElse("");
    }

    private void rbac() {
      int slash = s.refresher().indexOf('/');
      String user =
          "system:serviceaccount:"
              + s.refresher().substring(0, slash)
              + ":"
              + s.refresher().substring(slash + 1);
      AuthorizationV1Api authz = new AuthorizationV1Api(s.api());
      List<String> denied = new ArrayList<>();
      String[][] needs = {
        {"create", "secrets", null},
        {"update", "secrets", secretName},
        {"update", "serviceaccounts", sa}
      };
      for (String[] need : needs) {
        if (need[0].equals("update") && need[1].equals("secrets") && secretName == null) {
          continue;
        }
        if (need[1].equals("serviceaccounts")
            && config != null
            && !config.serviceAccounts().patch()) {
          continue;
        }
        V1SubjectAccessReview review =
            new V1SubjectAccessReview()
                .spec(
                    new V1SubjectAccessReviewSpec()
                        .user(user)
                        .groups(
                            List.of(
                                "system:serviceaccounts",
                                "system:serviceaccounts:" + s.refresher().substring(0, slash),
                                "system:authenticated"))
                        .resourceAttributes(
                            new V1ResourceAttributes()
                                .namespace(ns)
                                .verb(need[0])
                                .resource(need[1])
                                .name(need[2])));
        try {
          V1SubjectAccessReview r = authz.createSubjectAccessReview(review).execute();
          if (r.getStatus() == null || !Boolean.TRUE.equals(r.getStatus().getAllowed())) {
            denied.add(need[0] + " " + need[1] + (need[2] == null ? "" : "/" + need[2]));
          }
        } catch (ApiException e) {
          unknown(
              "rbac", apiProblem(e, "create", "subjectaccessreviews.authorization.k8s.io", null));
          return;
        }
      }
      if (denied.isEmpty()) {
        pass(
            "rbac",
            "ServiceAccount " + s.refresher() + " may write Secrets and ServiceAccounts in " + ns);
        return;
      }
      add(
          "rbac",
          Outcome.FAILED,
          "ServiceAccount " + s.refresher() + " may not " + String.join(", ", denied) + " in " + ns,
          RANK_RBAC,
          "the refresher's ServiceAccount "
              + s.refresher()
              + " may not "
              + String.join(", ", denied),
          "in namespace "
              + ns
              + "; apply deploy/base/rbac.yaml (ClusterRole acr-credential) with the",
          "pull Secret names in its resourceNames, or pass --refresher-service-account");
    }

    private void secret() {
      if (domain == null) {
        na("secret", "no configured registry for " + image.host());
        return;
      }
      String ref = ns + "/" + secretName;
      V1Secret secret;
      try {
        secret = core.readNamespacedSecret(secretName, ns).execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          add(
              "secret",
              Outcome.FAILED,
              "Secret " + ref + " does not exist",
              RANK_SECRET,
              "Secret " + ref + " is missing: the refresher has not written it;",
              "check that it runs and leads ('acr-credential status') and read its log");
        } else {
          unknown("secret", apiProblem(e, "get", "secrets", ns));
        }
        return;
      }
      Map<String, String> labels =
          secret.getMetadata().getLabels() == null ? Map.of() : secret.getMetadata().getLabels();
      boolean managed = "true".equals(labels.get(PullSecretSync.MANAGED_LABEL));
      String owner = labels.get(PullSecretSync.INSTANCE_LABEL);
      if (!managed || !s.instance().equals(owner)) {
        String whose =
            managed
                ? "belongs to acr-credential instance " + Text.bounded(owner, 63)
                : "is not managed by acr-credential";
        add(
            "secret",
            Outcome.FAILED,
            "Secret " + ref + " " + whose + " (a clash)",
            RANK_SECRET,
            "Secret " + ref + " " + whose + ": a clash, never overwritten;",
            "delete or rename it so the refresher (instance " + s.instance() + ") can write it,",
            "or give this refresher another secret-name (" + cm + ")");
        return;
      }
      byte[] json = secret.getData() == null ? null : secret.getData().get(".dockerconfigjson");
      if (!"kubernetes.io/dockerconfigjson".equals(secret.getType()) || json == null) {
        add(
            "secret",
            Outcome.FAILED,
            "Secret " + ref + " has no .dockerconfigjson",
            RANK_SECRET,
            "Secret " + ref + " is not a kubernetes.io/dockerconfigjson Secret; delete it so the",
            "refresher writes it again");
        return;
      }
      try {
        auth = DockerConfig.decode(json).auth(image.host()).orElse(null);
      } catch (RuntimeException e) {
        auth = null;
      }
      if (auth == null) {
        add(
            "secret",
            Outcome.FAILED,
            "Secret " + ref + " holds no login for " + image.host(),
            RANK_SECRET,
            "Secret " + ref + " holds no login for " + image.host() + "; delete it so the",
            "refresher writes it again, and check domains in acr-registry-info (" + cm + ")");
        return;
      }
      String expires =
          secret.getMetadata().getAnnotations() == null
              ? null
              : secret.getMetadata().getAnnotations().get(PullSecretSync.EXPIRES_AT_ANNOTATION);
      Instant now = s.clock().instant();
      Instant at = null;
      try {
        at = expires == null ? null : Instant.parse(expires.trim());
      } catch (DateTimeParseException e) {
        at = null;
      }
      if (at != null && !at.isAfter(now)) {
        secretExpired = true;
        add(
            "secret",
            Outcome.FAILED,
            "Secret "
                + ref
                + ": its token expired at "
                + at
                + " ("
                + ago(Duration.between(at, now))
                + " ago)",
            RANK_LOGIN,
            "the token in Secret "
                + ref
                + " expired at "
                + at
                + ": the refresher did not renew it;",
            "check that it runs and leads ('acr-credential status') and read its log");
        return;
      }
      pass(
          "secret",
          "Secret "
              + ref
              + " is ours (instance "
              + s.instance()
              + "), login for "
              + image.host()
              + (at == null
                  ? ""
                  : ", token valid until " + at + " (" + ago(Duration.between(now, at)) + ")"));
    }

    private static String ago(Duration d) {
      long m = d.toMinutes();
      return m >= 120 ? d.toHours() + " h" : m >= 1 ? m + " min" : d.toSeconds() + " s";
    }

    private void login() {
      if (!s.registryLogin()) {
        na("registry login", "skipped (--skip-registry-login)");
        return;
      }
      if (auth == null) {
        na("registry login", "no login in a Secret to try");
        return;
      }
      RegistryLogin.Result r =
          new RegistryLogin(s.timeout()).check(image, auth.username(), auth.password());
      String ref = ns + "/" + secretName;
      switch (r.kind()) {
        case ACCEPTED ->
            pass(
                "registry login",
                "the registry accepted Secret " + ref + "'s login (" + r.detail() + ")");
        case REJECTED ->
            add(
                "registry login",
                Outcome.FAILED,
                "the registry rejected Secret " + ref + "'s login (" + r.detail() + ")",
                RANK_LOGIN,
                "the registry rejected the token in Secret " + ref + " (401): it expired or was",
                "revoked and the refresher did not renew it; check that it runs and leads",
                "('acr-credential status'), read its log, or delete the Secret to have it rewritten");
        case DENIED ->
            add(
                "registry login",
                Outcome.FAILED,
                "logged in, but pulling " + image.repository() + " is denied (" + r.detail() + ")",
                RANK_LOGIN,
                "the identity in acr-registry-info (" + cm + ") may log in to " + image.host(),
                "but not pull " + image.repository() + "; grant it pull on that repository");
        case NOT_FOUND ->
            add(
                "registry login",
                Outcome.FAILED,
                "logged in, but " + image + " does not exist (" + r.detail() + ")",
                RANK_LOGIN,
                "image " + image + " does not exist in the registry;",
                "fix the image reference of the Pod or push the image");
        default -> unknown("registry login", r.detail());
      }
    }

    private void serviceAccountList() {
      String ref = ns + "/" + sa;
      try {
        account = core.readNamespacedServiceAccount(sa, ns).execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          add(
              "service account pull secrets",
              Outcome.FAILED,
              "ServiceAccount " + ref + " does not exist",
              RANK_SERVICE_ACCOUNT,
              "ServiceAccount "
                  + ref
                  + " does not exist; create it (Pods cannot be created without it)");
        } else {
          unknown("service account pull secrets", apiProblem(e, "get", "serviceaccounts", ns));
        }
        return;
      }
      if (secretName == null) {
        na("service account pull secrets", "no pull Secret expected");
        return;
      }
      if (names(account.getImagePullSecrets()).contains(secretName)) {
        pass("service account pull secrets", "ServiceAccount " + ref + " lists " + secretName);
        return;
      }
      if (config != null && !config.serviceAccounts().patch()) {
        add(
            "service account pull secrets",
            Outcome.FAILED,
            "ServiceAccount "
                + ref
                + " does not list "
                + secretName
                + " (patch-service-accounts: false)",
            RANK_SA_LIST,
            "patch-service-accounts is false (" + cm + "): add " + secretName,
            "to imagePullSecrets of ServiceAccount "
                + ref
                + " or of the Pod, or enable the webhook");
        return;
      }
      add(
          "service account pull secrets",
          Outcome.FAILED,
          "ServiceAccount " + ref + " does not list " + secretName,
          RANK_SA_LIST,
          "ServiceAccount "
              + ref
              + " does not list Secret "
              + secretName
              + ": the refresher has not",
          "patched it; check that it runs and leads ('acr-credential status') and read its log");
    }

    private static List<String> names(List<V1LocalObjectReference> refs) {
      return refs == null
          ? List.of()
          : refs.stream().map(V1LocalObjectReference::getName).filter(Objects::nonNull).toList();
    }

    private void podList() {
      if (pod == null) {
        na(
            "pod pull secrets",
            "no Pod (--image): a new Pod gets its ServiceAccount's imagePullSecrets");
        return;
      }
      if (secretName == null) {
        na("pod pull secrets", "no pull Secret expected");
        return;
      }
      String ref = ns + "/" + pod.getMetadata().getName();
      List<String> listed = names(pod.getSpec().getImagePullSecrets());
      if (listed.contains(secretName)) {
        pass("pod pull secrets", "Pod " + ref + " lists " + secretName);
        return;
      }
      boolean saHas = account != null && names(account.getImagePullSecrets()).contains(secretName);
      if (saHas) {
        add(
            "pod pull secrets",
            Outcome.FAILED,
            "Pod "
                + ref
                + " does not list "
                + secretName
                + " but its ServiceAccount does: created before the patch",
            RANK_POD_LIST,
            "Pod "
                + ref
                + " was created before its ServiceAccount listed the pull Secret "
                + secretName
                + ";",
            "delete the Pod so its owner recreates it, or enable the webhook");
        return;
      }
      add(
          "pod pull secrets",
          Outcome.FAILED,
          "Pod " + ref + " does not list " + secretName,
          RANK_POD_LIST,
          "Pod " + ref + " does not list the pull Secret " + secretName + ";",
          "fix its ServiceAccount first, then delete the Pod so its owner recreates it");
    }

    private void webhook() {
      V1MutatingWebhookConfiguration mwc;
      try {
        mwc =
            new AdmissionregistrationV1Api(s.api())
                .readMutatingWebhookConfiguration(s.webhookConfiguration())
                .execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          if (config != null && config.webhook().enabled()) {
            add(
                "webhook",
                Outcome.FAILED,
                "webhook-configuration has enable: true but MutatingWebhookConfiguration "
                    + s.webhookConfiguration()
                    + " does not exist",
                RANK_WEBHOOK,
                "MutatingWebhookConfiguration "
                    + s.webhookConfiguration()
                    + " does not exist although",
                "webhook-configuration enables the webhook (" + cm + "); apply deploy/webhook");
          } else {
            na("webhook", "not registered (optional)");
          }
        } else {
          unknown(
              "webhook",
              apiProblem(
                  e, "get", "mutatingwebhookconfigurations.admissionregistration.k8s.io", null));
        }
        return;
      }
      V1MutatingWebhook hook =
          mwc.getWebhooks() == null
              ? null
              : mwc.getWebhooks().stream()
                  .filter(w -> s.webhookName().equals(w.getName()))
                  .findFirst()
                  .orElse(null);
      if (hook == null) {
        add(
            "webhook",
            Outcome.FAILED,
            "MutatingWebhookConfiguration "
                + s.webhookConfiguration()
                + " has no entry "
                + s.webhookName(),
            RANK_WEBHOOK,
            "MutatingWebhookConfiguration "
                + s.webhookConfiguration()
                + " has no webhook "
                + s.webhookName()
                + ";",
            "re-apply deploy/webhook/mutatingwebhook.yaml or pass --webhook-name");
        return;
      }
      String policy = hook.getFailurePolicy() == null ? "Fail" : hook.getFailurePolicy();
      AdmissionregistrationV1ServiceReference svc =
          hook.getClientConfig() == null ? null : hook.getClientConfig().getService();
      if (svc == null) {
        pass(
            "webhook",
            "registered with a URL, failurePolicy " + policy + " (reachability not checked)");
        return;
      }
      String sref = svc.getNamespace() + "/" + svc.getName();
      try {
        core.readNamespacedService(svc.getName(), svc.getNamespace()).execute();
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          add(
              "webhook",
              Outcome.FAILED,
              "registered (failurePolicy " + policy + ") but Service " + sref + " does not exist",
              RANK_WEBHOOK,
              "webhook " + s.webhookName() + " calls Service " + sref + ", which does not exist;",
              consequence(policy),
              "apply deploy/webhook, or delete MutatingWebhookConfiguration "
                  + s.webhookConfiguration());
        } else {
          unknown("webhook", apiProblem(e, "get", "services", svc.getNamespace()));
        }
        return;
      }
      int ready = 0;
      try {
        List<V1EndpointSlice> slices =
            new DiscoveryV1Api(s.api())
                .listNamespacedEndpointSlice(svc.getNamespace())
                .labelSelector("kubernetes.io/service-name=" + svc.getName())
                .execute()
                .getItems();
        for (V1EndpointSlice slice : slices) {
          if (slice.getEndpoints() != null) {
            ready +=
                (int)
                    slice.getEndpoints().stream()
                        .filter(
                            ep ->
                                ep.getConditions() == null
                                    || !Boolean.FALSE.equals(ep.getConditions().getReady()))
                        .count();
          }
        }
      } catch (ApiException e) {
        unknown(
            "webhook",
            apiProblem(e, "list", "endpointslices.discovery.k8s.io", svc.getNamespace()));
        return;
      }
      if (ready == 0) {
        add(
            "webhook",
            Outcome.FAILED,
            "registered (failurePolicy "
                + policy
                + ") but Service "
                + sref
                + " has no ready endpoint",
            RANK_WEBHOOK,
            "webhook "
                + s.webhookName()
                + " is registered but Service "
                + sref
                + " has no ready endpoint;",
            consequence(policy),
            "start the refresher with its webhook certificate (deploy/webhook) or delete the registration");
        return;
      }
      pass(
          "webhook",
          "registered, failurePolicy "
              + policy
              + ", Service "
              + sref
              + " has "
              + ready
              + " ready endpoint(s)");
    }

    private static String consequence(String policy) {
      return "Fail".equals(policy)
          ? "with failurePolicy Fail no Pod matching it can be created;"
          : "with failurePolicy Ignore Pods are created without the webhook's pull Secrets;";
    }

    private void events() {
      if (pod == null) {
        na("events", "no Pod");
        return;
      }
      String name = pod.getMetadata().getName();
      String ref = ns + "/" + name;
      List<CoreV1Event> events;
      try {
        events =
            core.listNamespacedEvent(ns)
                .fieldSelector("involvedObject.kind=Pod,involvedObject.name=" + name)
                .execute()
                .getItems();
      } catch (ApiException e) {
        unknown("events", apiProblem(e, "list", "events", ns));
        return;
      }
      boolean failing = false;
      if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
        for (V1ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
          if (cs.getState() != null
              && cs.getState().getWaiting() != null
              && pullFailure(cs.getState().getWaiting().getReason())) {
            failing = true;
          }
        }
      }
      CoreV1Event last =
          events.stream()
              .filter(
                  e ->
                      "Failed".equals(e.getReason())
                          && e.getMessage() != null
                          && e.getMessage().toLowerCase(Locale.ROOT).contains("pull"))
              .max(Comparator.comparing(Run::eventTime))
              .orElse(null);
      if (last == null) {
        pass(
            "events",
            failing
                ? "Pod " + ref + " waits in image pull back-off, no event says why"
                : "no image pull failure reported for Pod " + ref);
        return;
      }
      String msg = last.getMessage().toLowerCase(Locale.ROOT);
      String kind =
          msg.contains("401")
                  || msg.contains("unauthorized")
                  || msg.contains("authorization failed")
                  || msg.contains("authentication required")
              ? "401 unauthorized"
              : msg.contains("not found") || msg.contains("manifest unknown")
                  ? "not found"
                  : msg.contains("403") || msg.contains("denied") ? "denied" : "failed";
      String detail =
          "kubelet: pull "
              + kind
              + " at "
              + eventTime(last)
              + ": "
              + Text.bounded(last.getMessage(), 240);
      if (!failing
          && !events.isEmpty()
          && pod.getStatus() != null
          && "Running".equals(pod.getStatus().getPhase())) {
        pass("events", "earlier " + detail);
        return;
      }
      add(
          "events",
          Outcome.FAILED,
          detail,
          RANK_EVENTS,
          "the kubelet could not pull " + image + " (" + kind + ");",
          "no cause found above: if they all pass now, the next retry should succeed",
          "(or delete Pod " + ref + " to retry at once)");
    }

    private static Instant eventTime(CoreV1Event e) {
      if (e.getLastTimestamp() != null) {
        return e.getLastTimestamp().toInstant();
      }
      if (e.getEventTime() != null) {
        return e.getEventTime().toInstant();
      }
      return e.getMetadata().getCreationTimestamp() == null
          ? Instant.EPOCH
          : e.getMetadata().getCreationTimestamp().toInstant();
    }

    private void plugin() {
      if (s.credentialProviderConfig().isEmpty()) {
        na("kubelet plugin", "no --credential-provider-config given");
        return;
      }
      Path file = s.credentialProviderConfig().get();
      CredentialProviderConfig c;
      try {
        c = CredentialProviderConfig.read(file);
      } catch (IllegalArgumentException e) {
        add(
            "kubelet plugin",
            Outcome.FAILED,
            Text.bounded(e.getMessage(), 300),
            RANK_PLUGIN,
            "the kubelet's credential provider configuration " + file + " is unusable:",
            Text.bounded(e.getMessage(), 200));
        return;
      }
      Optional<String> match = c.match(image);
      if (match.isPresent()) {
        pass("kubelet plugin", "provider " + match.get() + " matches " + image.host());
        return;
      }
      String providers =
          c.providers().stream()
              .map(CredentialProviderConfig.Provider::name)
              .reduce((a, b) -> a + ", " + b)
              .orElse("none");
      add(
          "kubelet plugin",
          Outcome.FAILED,
          "no provider's matchImages in "
              + file
              + " matches "
              + image.host()
              + " (providers: "
              + providers
              + ")",
          RANK_PLUGIN,
          "no matchImages pattern in " + file + " matches " + image.host() + ";",
          "add \""
              + image.host()
              + "\" to the acr-credential provider's matchImages (a port must be",
          "written in the pattern too) and restart the kubelet");
    }
  }

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
