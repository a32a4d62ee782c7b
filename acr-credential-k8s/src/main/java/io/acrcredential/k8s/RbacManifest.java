package io.acrcredential.k8s;

import io.acrcredential.core.DockerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The least-privilege RBAC manifest shipped with the sync ({@code io/acrcredential/k8s/rbac.yaml}
 * on the class path): a ServiceAccount, a ClusterRole and binding that allow exactly what {@link
 * PullSecretSync} does, with by-name Secret access limited to the pull Secret names, and a Role for
 * its leader-election Lease.
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
    if (layout.kind() == SecretLayout.Kind.COMBINED) {
      return List.of(layout.combinedSecretName());
    }
    Set<String> names = new LinkedHashSet<>();
    for (String d : domains) {
      names.add(DockerConfig.secretName(d));
    }
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
