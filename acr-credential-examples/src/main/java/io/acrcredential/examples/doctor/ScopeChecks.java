package io.acrcredential.examples.doctor;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.acr.AcrDomains;
import io.acrcredential.core.acr.AcrHost;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.acrcredential.k8s.config.ConfigParseResult;
import io.acrcredential.k8s.config.ConfigProblem;
import io.acrcredential.k8s.config.NamedInstanceRegistry;
import io.acrcredential.k8s.config.RegistryEntry;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration's scope: the ConfigMap, the namespace, the ServiceAccount and the registry the
 * image host belongs to.
 */
final class ScopeChecks implements Step {

  @Override
  public void run(Findings f) {
    configuration(f);
    namespace(f);
    serviceAccountScope(f);
    registry(f);
  }

  private static void configuration(Findings f) {
    V1ConfigMap map;
    try {
      map = f.core.readNamespacedConfigMap(f.s.configMapName(), f.s.configMapNamespace()).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        f.add(
            "configuration",
            Outcome.FAILED,
            "ConfigMap " + f.cm + " not found",
            Doctor.RANK_CONFIG,
            "ConfigMap "
                + f.cm
                + " does not exist; create it (deploy/base/configmap.yaml) or point",
            "--configmap at the one the refresher reads");
      } else {
        f.unknown(
            "configuration", Doctor.apiProblem(e, "get", "configmaps", f.s.configMapNamespace()));
      }
      return;
    }
    ConfigParseResult parsed = f.s.parser().parse(map.getData() == null ? Map.of() : map.getData());
    f.config = parsed.config();
    String problems =
        parsed.errors().stream()
            .map(ConfigProblem::key)
            .distinct()
            .reduce((a, b) -> a + ", " + b)
            .map(k -> "; invalid keys (the refresher keeps their previous values): " + k)
            .orElse("");
    int registries = f.config.registries().size() + f.config.registriesByInstanceName().size();
    if (registries == 0) {
      f.add(
          "configuration",
          Outcome.FAILED,
          "ConfigMap " + f.cm + " configures no registry" + problems,
          Doctor.RANK_CONFIG,
          "ConfigMap "
              + f.cm
              + " lists no registry: add the instance to acr-registry-info"
              + (problems.isEmpty() ? "" : " and fix " + problems.substring(2)));
      return;
    }
    f.pass(
        "configuration",
        "ConfigMap "
            + f.cm
            + ": "
            + registries
            + " registr"
            + (registries == 1 ? "y" : "ies")
            + problems);
  }

  private static void namespace(Findings f) {
    if (f.config == null) {
      f.na("namespace", "no configuration");
      return;
    }
    Map<String, String> labels = Map.of();
    if (f.config.namespaces().selector().isPresent()) {
      try {
        V1Namespace n = f.core.readNamespace(f.ns).execute();
        labels = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
      } catch (ApiException e) {
        f.unknown("namespace", Doctor.apiProblem(e, "get", "namespaces", null));
        return;
      }
    }
    if (f.config.namespaces().includes(f.ns, labels)) {
      f.pass("namespace", "namespace " + f.ns + " is in scope of " + f.cm);
      return;
    }
    if (f.config.namespaces().isExcluded(f.ns)) {
      f.add(
          "namespace",
          Outcome.FAILED,
          "namespace " + f.ns + " is excluded by exclude-namespace",
          Doctor.RANK_NAMESPACE,
          "namespace "
              + f.ns
              + " is excluded by exclude-namespace ("
              + f.cm
              + "); remove it there");
      return;
    }
    String selector =
        f.config
            .namespaces()
            .selector()
            .map(x -> ", nor matches watch-namespace-selector " + x)
            .orElse("");
    f.add(
        "namespace",
        Outcome.FAILED,
        "namespace " + f.ns + " is not in watch-namespace" + selector,
        Doctor.RANK_NAMESPACE,
        "namespace "
            + f.ns
            + " is not in watch-namespace ("
            + f.cm
            + "); add it or use a selector");
  }

  private static void serviceAccountScope(Findings f) {
    if (f.config == null) {
      f.na("service account", "no configuration");
      return;
    }
    if (f.config.serviceAccounts().includes(f.sa)) {
      f.pass(
          "service account",
          "ServiceAccount "
              + f.sa
              + " is included"
              + (f.config.serviceAccounts().patch() ? "" : " (patch-service-accounts: false)"));
      return;
    }
    f.add(
        "service account",
        Outcome.FAILED,
        "ServiceAccount "
            + f.sa
            + " is not in service-account "
            + f.config.serviceAccounts().names(),
        Doctor.RANK_SERVICE_ACCOUNT,
        "ServiceAccount " + f.ns + "/" + f.sa + " is not in service-account (" + f.cm + ");",
        "add " + f.sa + " there, or run the Pod as one of " + f.config.serviceAccounts().names());
  }

  private static void registry(Findings f) {
    if (f.config == null) {
      f.na("registry", "no configuration");
      return;
    }
    String host = f.image.host();
    for (RegistryEntry e : f.config.registries()) {
      List<String> domains = e.target().domains();
      if (domains.isEmpty() && e.target().edition() == RegistryEdition.PERSONAL) {
        domains = AcrDomains.personalAll(e.target().regionId());
      }
      for (String d : domains) {
        if (d.equalsIgnoreCase(host)) {
          f.entry = e;
          f.domain = d.toLowerCase(Locale.ROOT);
          f.secretName = f.config.secretLayout().secretNameFor(f.domain);
          f.pass("registry", host + " is a domain of " + describe(e));
          return;
        }
      }
    }
    // Enterprise Edition entries without listed domains: ACR says which domains they have
    Optional<AcrHost> acrHost = AcrHost.parse(host);
    List<RegistryEntry> unconfirmed = new ArrayList<>();
    for (RegistryEntry e : f.config.registries()) {
      if (e.target().domains().isEmpty()
          && e.target().edition() == RegistryEdition.ENTERPRISE
          && acrHost.map(h -> h.regionId().equals(e.target().regionId())).orElse(false)) {
        Optional<RegistryCredential> c = f.fetch(e);
        if (c.isPresent() && c.get().domains().stream().anyMatch(host::equalsIgnoreCase)) {
          f.entry = e;
          f.domain = host;
          f.secretName = f.config.secretLayout().secretNameFor(f.domain);
          f.pass("registry", host + " is a domain of " + describe(e) + " (as ACR lists it)");
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
      f.entry = unconfirmed.get(0);
      f.domain = host;
      f.secretName = f.config.secretLayout().secretNameFor(f.domain);
      f.pass(
          "registry",
          host
              + " is assumed to be a domain of "
              + describe(f.entry)
              + " (its domains are not listed and ACR did not list them)");
      return;
    }
    for (NamedInstanceRegistry n : f.config.registriesByInstanceName()) {
      List<String> domains =
          n.domains().isEmpty()
              ? AcrDomains.enterprise(n.instanceName(), n.regionId())
              : n.domains();
      if (domains.stream().anyMatch(host::equalsIgnoreCase)) {
        f.domain = host;
        f.secretName = f.config.secretLayout().secretNameFor(f.domain);
        f.pass(
            "registry",
            host + " is a domain of instance " + n.instanceName() + " (" + n.origin() + ")");
        return;
      }
    }
    f.add(
        "registry",
        Outcome.FAILED,
        host + " is not a domain of any configured registry",
        Doctor.RANK_REGISTRY,
        "image host "
            + host
            + " is not a domain of any registry in acr-registry-info ("
            + f.cm
            + ");",
        "add its instance with domains: " + host + " (VPC and custom domains must be listed)");
  }

  static String describe(RegistryEntry e) {
    return e.target().describe() + (e.origin().isEmpty() ? "" : " (" + e.origin() + ")");
  }
}
