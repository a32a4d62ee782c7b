package io.acrcredential.examples.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.k8s.AlibabaSecret;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.SecretLayout;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ManagedFieldsEntry;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code acr-credential status}: what the refresher keeps, read from the cluster: per registry
 * domain the token's expiry and when its Secrets were last written (from the managed Secrets), per
 * namespace in scope whether its Secrets and ServiceAccount entries are in place, clashes, and the
 * Lease holder; optionally the token figures of the refresher's {@code /metrics}. Read-only (get
 * and list); never prints a secret value.
 */
public final class Status {

  /** The most namespaces listed one by one in the text output. */
  static final int MAX_NAMESPACE_LINES = 200;

  /**
   * What to read.
   *
   * @param api the Kubernetes client
   * @param configMapNamespace the ConfigMap's namespace
   * @param configMapName the ConfigMap's name
   * @param instance the refresher's instance name
   * @param parser the configuration parser
   * @param leaseNamespace the Lease's namespace
   * @param leaseName the Lease's name
   * @param metricsUrl the refresher's {@code /metrics} URL, if given
   * @param clock the clock
   */
  public record Settings(
      ApiClient api,
      String configMapNamespace,
      String configMapName,
      String instance,
      AcrConfigParser parser,
      String leaseNamespace,
      String leaseName,
      Optional<URI> metricsUrl,
      Clock clock) {

    /**
     * Checks for nulls.
     *
     * @param api the client
     * @param configMapNamespace the ConfigMap's namespace
     * @param configMapName the ConfigMap's name
     * @param instance the instance
     * @param parser the parser
     * @param leaseNamespace the Lease's namespace
     * @param leaseName the Lease's name
     * @param metricsUrl the metrics URL
     * @param clock the clock
     */
    public Settings {
      Objects.requireNonNull(api, "api");
      Objects.requireNonNull(configMapNamespace, "configMapNamespace");
      Objects.requireNonNull(configMapName, "configMapName");
      Objects.requireNonNull(instance, "instance");
      Objects.requireNonNull(parser, "parser");
      Objects.requireNonNull(leaseNamespace, "leaseNamespace");
      Objects.requireNonNull(leaseName, "leaseName");
      Objects.requireNonNull(metricsUrl, "metricsUrl");
      Objects.requireNonNull(clock, "clock");
    }
  }

  /**
   * The result: text, JSON and exit code (0 everything in place, 1 something missing or clashing, 2
   * could not read).
   *
   * @param text the report for a person
   * @param json the report for tools
   * @param exitCode the exit code
   */
  public record Result(String text, String json, int exitCode) {}

  private Status() {}

  /**
   * Reads the cluster.
   *
   * @param s what to read
   * @return the report
   */
  public static Result run(Settings s) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    StringBuilder text = new StringBuilder();
    CoreV1Api core = new CoreV1Api(s.api());
    String cm = s.configMapNamespace() + "/" + s.configMapName();
    root.put("configMap", cm);
    root.put("instance", s.instance());
    text.append("configuration: ")
        .append(cm)
        .append(", instance ")
        .append(s.instance())
        .append('\n');
    List<String> problems = new ArrayList<>();
    AcrConfiguration config;
    try {
      V1ConfigMap map =
          core.readNamespacedConfigMap(s.configMapName(), s.configMapNamespace()).execute();
      config = s.parser().parse(map.getData() == null ? Map.of() : map.getData()).config();
    } catch (ApiException e) {
      String why =
          e.getCode() == 404
              ? "ConfigMap " + cm + " not found"
              : Doctor.apiProblem(e, "get", "configmaps", s.configMapNamespace());
      root.put("error", why);
      text.append("error: ").append(why).append('\n');
      return finish(mapper, root, text, 2);
    }
    // leader
    try {
      V1Lease lease =
          new CoordinationV1Api(s.api())
              .readNamespacedLease(s.leaseName(), s.leaseNamespace())
              .execute();
      String holder = lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
      OffsetDateTime renew = lease.getSpec() == null ? null : lease.getSpec().getRenewTime();
      String line =
          holder == null || holder.isEmpty()
              ? "none (Lease " + s.leaseNamespace() + "/" + s.leaseName() + " is free)"
              : Text.bounded(holder, 128)
                  + (renew == null
                      ? ""
                      : ", renewed "
                          + age(Duration.between(renew.toInstant(), s.clock().instant()))
                          + " ago");
      root.put("leader", holder == null ? "" : Text.bounded(holder, 128));
      text.append("leader: ").append(line).append('\n');
    } catch (ApiException e) {
      String why =
          e.getCode() == 404
              ? "no Lease "
                  + s.leaseNamespace()
                  + "/"
                  + s.leaseName()
                  + " (no refresher with leader election ran)"
              : Doctor.apiProblem(e, "get", "leases.coordination.k8s.io", s.leaseNamespace());
      root.put("leader", "");
      text.append("leader: ").append(why).append('\n');
    }
    // our Secrets, cluster-wide
    List<V1Secret> ours;
    try {
      ours =
          core.listSecretForAllNamespaces()
              .labelSelector(
                  PullSecretSync.MANAGED_LABEL
                      + "=true,"
                      + PullSecretSync.INSTANCE_LABEL
                      + "="
                      + s.instance())
              .execute()
              .getItems();
    } catch (ApiException e) {
      String why = Doctor.apiProblem(e, "list", "secrets", null);
      root.put("error", why);
      text.append("error: ").append(why).append('\n');
      return finish(mapper, root, text, 2);
    }
    Map<String, Set<String>> byDomain = new TreeMap<>();
    Map<String, Instant[]> expiry = new TreeMap<>(); // domain -> min expiry, last written
    for (V1Secret sec : ours) {
      Map<String, String> a =
          sec.getMetadata().getAnnotations() == null
              ? Map.of()
              : sec.getMetadata().getAnnotations();
      Instant exp = instant(a.get(PullSecretSync.EXPIRES_AT_ANNOTATION));
      Instant written = lastWritten(sec);
      for (String d :
          Arrays.asList(a.getOrDefault(PullSecretSync.DOMAINS_ANNOTATION, "").split(","))) {
        d = d.trim();
        if (d.isEmpty()) {
          continue;
        }
        byDomain.computeIfAbsent(d, k -> new TreeSet<>()).add(sec.getMetadata().getNamespace());
        Instant[] e = expiry.computeIfAbsent(d, k -> new Instant[2]);
        if (exp != null && (e[0] == null || exp.isBefore(e[0]))) {
          e[0] = exp;
        }
        if (written != null && (e[1] == null || written.isAfter(e[1]))) {
          e[1] = written;
        }
      }
    }
    Set<String> domains = new TreeSet<>(byDomain.keySet());
    text.append("registries:\n");
    ArrayNode regs = root.putArray("registries");
    for (RegistryEntry e : config.registries()) {
      domains.addAll(
          e.target().domains().stream().map(x -> x.toLowerCase(java.util.Locale.ROOT)).toList());
      ObjectNode r = regs.addObject();
      r.put("registry", e.target().describe());
      ArrayNode ds = r.putArray("domains");
      e.target().domains().forEach(ds::add);
      text.append("  ").append(e.target().describe());
      if (!e.target().domains().isEmpty()) {
        text.append(" (").append(String.join(", ", e.target().domains())).append(')');
      }
      text.append('\n');
    }
    config
        .registriesByInstanceName()
        .forEach(
            n ->
                text.append("  instance ")
                    .append(n.instanceName())
                    .append(" in ")
                    .append(n.regionId())
                    .append(" (by name)\n"));
    Instant now = s.clock().instant();
    ArrayNode tokens = root.putArray("tokens");
    text.append("tokens (from the managed Secrets):\n");
    if (expiry.isEmpty()) {
      text.append("  none: no Secret of instance ").append(s.instance()).append(" exists\n");
      problems.add("no managed Secret");
    }
    for (Map.Entry<String, Instant[]> e : expiry.entrySet()) {
      Instant exp = e.getValue()[0];
      Instant written = e.getValue()[1];
      ObjectNode t = tokens.addObject();
      t.put("domain", e.getKey());
      t.put("expiresAt", exp == null ? "" : exp.toString());
      t.put("lastWritten", written == null ? "" : written.toString());
      t.put("secrets", byDomain.get(e.getKey()).size());
      boolean expired = exp != null && !exp.isAfter(now);
      t.put("expired", expired);
      if (expired) {
        problems.add("expired token for " + e.getKey());
      }
      text.append("  ")
          .append(e.getKey())
          .append(": expires ")
          .append(
              exp == null
                  ? "?"
                  : exp
                      + (expired
                          ? " (EXPIRED " + age(Duration.between(exp, now)) + " ago)"
                          : " (in " + age(Duration.between(now, exp)) + ")"))
          .append(", last written ")
          .append(
              written == null
                  ? "?"
                  : written + " (" + age(Duration.between(written, now)) + " ago)")
          .append(", ")
          .append(byDomain.get(e.getKey()).size())
          .append(" Secret(s)\n");
    }
    // namespaces in scope
    Set<String> expected = new TreeSet<>();
    SecretLayout layout = config.secretLayout();
    domains.forEach(d -> expected.add(layout.secretNameFor(d)));
    List<V1Namespace> namespaces;
    try {
      namespaces = core.listNamespace().execute().getItems();
    } catch (ApiException e) {
      String why = Doctor.apiProblem(e, "list", "namespaces", null);
      root.put("error", why);
      text.append("error: ").append(why).append('\n');
      return finish(mapper, root, text, 2);
    }
    ArrayNode nsList = root.putArray("namespaces");
    ArrayNode clashes = root.putArray("clashes");
    int inScope = 0;
    int lines = 0;
    StringBuilder nsText = new StringBuilder();
    for (V1Namespace n : namespaces) {
      String ns = n.getMetadata().getName();
      Map<String, String> labels =
          n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
      if (!config.namespaces().includes(ns, labels)) {
        continue;
      }
      inScope++;
      List<String> missing = new ArrayList<>();
      List<String> clashing = new ArrayList<>();
      List<String> clashReasons = new ArrayList<>();
      List<String> alibabas = new ArrayList<>();
      Set<String> present = new TreeSet<>();
      for (V1Secret sec : ours) {
        if (ns.equals(sec.getMetadata().getNamespace())) {
          present.add(sec.getMetadata().getName());
        }
      }
      for (String name : expected) {
        if (present.contains(name)) {
          continue;
        }
        try {
          V1Secret live = core.readNamespacedSecret(name, ns).execute();
          // the sync's own rule tells a Secret Alibaba's helper wrote from a clash
          Optional<String> notAlibabas =
              AlibabaSecret.whyNotTakenOver(live, name, domainsOf(name, layout, domains));
          boolean labelled =
              live.getMetadata().getLabels() != null
                  && live.getMetadata().getLabels().containsKey(PullSecretSync.MANAGED_LABEL);
          if (!labelled && notAlibabas.isEmpty() && config.takeOverAlibabaSecrets()) {
            alibabas.add(name);
          } else {
            clashing.add(name);
            clashReasons.add(
                (labelled
                    ? "(another instance's)"
                    : notAlibabas
                        .map(w -> "(not ours: " + w + ")")
                        .orElse(
                            "(written by Alibaba's helper; take-over-alibaba-secrets is"
                                + " false in "
                                + cm
                                + ")")));
            clashes.add(ns + "/" + name);
          }
        } catch (ApiException e) {
          if (e.getCode() == 404) {
            missing.add(name);
          } else {
            missing.add(name + " (" + Doctor.apiProblem(e, "get", "secrets", ns) + ")");
          }
        }
      }
      List<String> saProblems = new ArrayList<>();
      if (config.serviceAccounts().patch()) {
        try {
          for (V1ServiceAccount sa : core.listNamespacedServiceAccount(ns).execute().getItems()) {
            String name = sa.getMetadata().getName();
            if (!config.serviceAccounts().includes(name)) {
              continue;
            }
            List<String> listed =
                sa.getImagePullSecrets() == null
                    ? List.of()
                    : sa.getImagePullSecrets().stream()
                        .map(V1LocalObjectReference::getName)
                        .toList();
            List<String> lacking = present.stream().filter(x -> !listed.contains(x)).toList();
            if (!lacking.isEmpty()) {
              saProblems.add(name + " lacks " + String.join(",", lacking));
            }
          }
        } catch (ApiException e) {
          saProblems.add(Doctor.apiProblem(e, "list", "serviceaccounts", ns));
        }
      }
      boolean ok =
          missing.isEmpty() && clashing.isEmpty() && alibabas.isEmpty() && saProblems.isEmpty();
      if (!ok) {
        problems.add("namespace " + ns);
      }
      ObjectNode o = nsList.addObject();
      o.put("namespace", ns);
      o.put("ok", ok);
      missing.forEach(o.putArray("missingSecrets")::add);
      clashing.forEach(o.putArray("clashingSecrets")::add);
      alibabas.forEach(o.putArray("alibabaSecrets")::add);
      saProblems.forEach(o.putArray("serviceAccounts")::add);
      if (lines++ < MAX_NAMESPACE_LINES) {
        nsText.append("  ").append(ns).append(": ");
        if (ok) {
          nsText.append(present.size()).append(" Secret(s), ServiceAccounts in place");
        } else {
          List<String> parts = new ArrayList<>();
          missing.forEach(m -> parts.add("Secret " + m + " missing"));
          for (int i = 0; i < clashing.size(); i++) {
            parts.add("Secret " + clashing.get(i) + " CLASH " + clashReasons.get(i));
          }
          alibabas.forEach(
              a ->
                  parts.add(
                      "Secret "
                          + a
                          + " written by Alibaba's helper; the refresher takes it over at its"
                          + " next reconcile"));
          saProblems.forEach(p -> parts.add("ServiceAccount " + p));
          nsText.append(String.join("; ", parts));
        }
        nsText.append('\n');
      }
    }
    text.append("namespaces in scope: ").append(inScope).append('\n').append(nsText);
    if (lines > MAX_NAMESPACE_LINES) {
      text.append("  … ").append(lines - MAX_NAMESPACE_LINES).append(" more (see --output json)\n");
    }
    text.append("clashes: ").append(clashes.isEmpty() ? "none" : clashes.size() + "").append('\n');
    s.metricsUrl().ifPresent(u -> metrics(u, root, text));
    root.put("ok", problems.isEmpty());
    return finish(mapper, root, text, problems.isEmpty() ? 0 : 1);
  }

  /** The domains the pull Secret {@code name} holds with this layout. */
  private static List<String> domainsOf(String name, SecretLayout layout, Set<String> domains) {
    if (layout.kind() == SecretLayout.Kind.COMBINED) {
      return List.copyOf(domains);
    }
    return domains.stream().filter(d -> layout.secretNameFor(d).equals(name)).toList();
  }

  private static void metrics(URI url, ObjectNode root, StringBuilder text) {
    ArrayNode lines = root.putArray("metrics");
    text.append("metrics (").append(url).append("):\n");
    try {
      HttpClient http =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .followRedirects(HttpClient.Redirect.NEVER)
              .build();
      HttpResponse<InputStream> r =
          http.send(
              HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
      String body;
      try (InputStream in = r.body()) {
        body =
            new String(
                RegistryLogin.readBounded(in, 1 << 20, Duration.ofSeconds(10)),
                StandardCharsets.UTF_8);
      }
      if (r.statusCode() != 200) {
        text.append("  HTTP ").append(r.statusCode()).append('\n');
        return;
      }
      for (String line : body.split("\n")) {
        if (line.startsWith("acr_credential_token_expiry_seconds")
            || line.startsWith("acr_credential_token_failures_total")
            || line.startsWith("acr_credential_tokens_fetched_total")) {
          lines.add(Text.bounded(line, 300));
          text.append("  ").append(Text.bounded(line, 300)).append('\n');
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      text.append("  cannot read: ").append(Text.bounded(e.getMessage(), 200)).append('\n');
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Result finish(ObjectMapper mapper, ObjectNode root, StringBuilder text, int exit) {
    root.put("exitCode", exit);
    try {
      return new Result(text.toString(), mapper.writeValueAsString(root) + "\n", exit);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Instant instant(String s) {
    try {
      return s == null ? null : Instant.parse(s.trim());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Instant lastWritten(V1Secret sec) {
    Instant last =
        sec.getMetadata().getCreationTimestamp() == null
            ? null
            : sec.getMetadata().getCreationTimestamp().toInstant();
    List<V1ManagedFieldsEntry> fields = sec.getMetadata().getManagedFields();
    if (fields != null) {
      for (V1ManagedFieldsEntry f : fields) {
        if (f.getTime() != null && (last == null || f.getTime().toInstant().isAfter(last))) {
          last = f.getTime().toInstant();
        }
      }
    }
    return last;
  }

  private static String age(Duration d) {
    long sec = Math.max(0, d.toSeconds());
    return sec >= 7200 ? sec / 3600 + " h" : sec >= 120 ? sec / 60 + " min" : sec + " s";
  }
}
