package io.acrcredential.k8s;

import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.SecretLayout;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The least-privilege RBAC manifest shipped with the sync ({@code io/acrcredential/k8s/rbac.yaml}
 * on the class path): a ServiceAccount, a ClusterRole and binding that allow exactly what {@link
 * PullSecretSync} does, a Role for its leader-election Lease, and a ValidatingAdmissionPolicy (with
 * its binding) through which the API server refuses what RBAC cannot express: for the sync's
 * identity only, Secrets it writes must be its labelled {@code kubernetes.io/dockerconfigjson}
 * ones, and on a ServiceAccount only {@code imagePullSecrets} and its own annotation may change.
 *
 * <p>Every Secret verb except {@code create} (get, list, watch, update, patch, delete) is limited
 * by {@code resourceNames} to the pull Secret names; the sync lists and watches only with a {@code
 * metadata.name} field selector, which the API server authorises by name. So the manifest needs the
 * names in advance:
 *
 * <ul>
 *   <li>combined layout: the one configured name;
 *   <li>per-domain layout with every registry's domains in the configuration: {@link
 *       #secretNames(AcrConfiguration)};
 *   <li>per-domain layout where some domains are resolved at run time (an Enterprise Edition
 *       instance's endpoints from {@code ListInstanceEndpoint}, a region's default Personal Edition
 *       domains): {@link #secretNames(AcrConfiguration, TokenProvider)} fetches the credentials
 *       once and derives the names from their domains, exactly as the sync will. Or start the sync,
 *       read {@link PullSecretSync#managedSecretNames()} and render again; until the manifest
 *       grants a name, the sync logs that it cannot watch it and namespaces fail with a Forbidden
 *       event. Render again whenever the registries or their domains change.
 * </ul>
 */
public final class RbacManifest {

  /** Class-path location of the template. */
  public static final String RESOURCE = "/io/acrcredential/k8s/rbac.yaml";

  private RbacManifest() {}

  /**
   * The template text with its {@code ${NAMESPACE}}, {@code ${SERVICE_ACCOUNT}}, {@code
   * ${LEASE_NAME}} and {@code ${SECRET_NAMES}} placeholders.
   *
   * @return the template
   */
  public static String template() {
    try (InputStream in = RbacManifest.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /**
   * The pull Secret names a configuration leads to for the given registry domains.
   *
   * @param layout the Secret layout
   * @param domains every registry domain the sync writes
   * @return the names, without duplicates
   * @throws IllegalArgumentException when a domain is not a valid registry host
   */
  public static List<String> secretNames(SecretLayout layout, Collection<String> domains) {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(domains, "domains");
    Set<String> names = new LinkedHashSet<>();
    for (String d : domains) {
      names.add(layout.secretNameFor(d));
    }
    if (names.isEmpty() && layout.kind() == SecretLayout.Kind.COMBINED) {
      names.add(layout.combinedSecretName());
    }
    return new ArrayList<>(names);
  }

  /**
   * The pull Secret names a configuration leads to, when they can be known without asking Alibaba
   * Cloud: the combined Secret's name, or one name per configured domain.
   *
   * @param configuration the sync's configuration
   * @return the names, without duplicates, in configuration order
   * @throws IllegalArgumentException with the per-domain layout, when a registry has no domains in
   *     the configuration (they are resolved at run time); the message names the registries and
   *     what to do
   */
  public static List<String> secretNames(AcrConfiguration configuration) {
    Objects.requireNonNull(configuration, "configuration");
    List<RegistryEntry> unresolved = configuration.registriesResolvedAtRunTime();
    Set<String> names = configuration.secretNamesKnownAhead();
    if (!unresolved.isEmpty()) {
      List<String> which = new ArrayList<>();
      for (RegistryEntry e : unresolved) {
        which.add(e.target().describe() + (e.origin().isEmpty() ? "" : " (" + e.origin() + ")"));
      }
      throw new IllegalArgumentException(
          "the pull Secret names of "
              + String.join(", ", which)
              + " depend on registry domains resolved at run time; list the domains in the"
              + " configuration, or use secretNames(configuration, tokenProvider) or"
              + " PullSecretSync.managedSecretNames() to learn the names");
    }
    return new ArrayList<>(names);
  }

  /**
   * The pull Secret names a configuration leads to, fetching every registry's credential once to
   * learn the domains resolved at run time. The names are computed exactly as {@link
   * PullSecretSync} computes them.
   *
   * @param configuration the sync's configuration
   * @param provider where credentials come from (needs the Alibaba Cloud identity of the sync)
   * @return the names, without duplicates
   * @throws IllegalStateException when a registry's credential cannot be fetched; the message says
   *     which (it never contains a secret)
   */
  public static List<String> secretNames(AcrConfiguration configuration, TokenProvider provider) {
    Objects.requireNonNull(configuration, "configuration");
    Objects.requireNonNull(provider, "provider");
    List<String> problems = new ArrayList<>();
    CredentialSnapshot snapshot =
        CredentialSnapshot.build(configuration, provider, null, Instant.now(), problems);
    if (!snapshot.complete()) {
      throw new IllegalStateException(
          "cannot tell every pull Secret name: " + String.join("; ", problems));
    }
    Set<String> names = configuration.secretNamesKnownAhead();
    names.addAll(snapshot.secrets().keySet());
    return new ArrayList<>(names);
  }

  /**
   * Fills the template in.
   *
   * @param namespace the namespace the sync runs in
   * @param serviceAccount its ServiceAccount name (also used for the role names)
   * @param leaseName its leader-election Lease name
   * @param secretNames the pull Secret names it manages, at least one
   * @return the manifest, ready for {@code kubectl apply -f -}
   * @throws IllegalArgumentException naming an invalid value
   */
  public static String render(
      String namespace, String serviceAccount, String leaseName, Collection<String> secretNames) {
    check("namespace", namespace, Names.checkDnsLabel(Objects.requireNonNull(namespace, "ns")));
    check(
        "serviceAccount",
        serviceAccount,
        Names.checkDnsSubdomain(Objects.requireNonNull(serviceAccount, "serviceAccount")));
    check(
        "leaseName",
        leaseName,
        Names.checkDnsSubdomain(Objects.requireNonNull(leaseName, "leaseName")));
    Objects.requireNonNull(secretNames, "secretNames");
    if (secretNames.isEmpty()) {
      throw new IllegalArgumentException("secretNames must name at least one pull Secret");
    }
    List<String> quoted = new ArrayList<>();
    for (String n : secretNames) {
      check("secret name", n, Names.checkDnsSubdomain(Objects.requireNonNull(n, "secret name")));
      quoted.add("\"" + n + "\"");
    }
    return template()
        .replace("${NAMESPACE}", namespace)
        .replace("${SERVICE_ACCOUNT}", serviceAccount)
        .replace("${LEASE_NAME}", leaseName)
        .replace("${SECRET_NAMES}", "[" + String.join(", ", quoted) + "]");
  }

  private static void check(String what, String value, String problem) {
    if (problem != null) {
      throw new IllegalArgumentException(
          what + " " + Echo.quote(value) + " is not valid; " + problem);
    }
  }
}
