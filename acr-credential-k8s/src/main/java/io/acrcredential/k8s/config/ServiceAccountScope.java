package io.acrcredential.k8s.config;

import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Which ServiceAccounts in the namespaces in scope get the pull Secrets in their {@code
 * imagePullSecrets}, and whether ServiceAccounts are patched at all.
 *
 * <p>With {@link #patch()} false the Secrets are still written, but nothing is added to a
 * ServiceAccount — for GitOps setups that list {@code imagePullSecrets} in their own manifests.
 * Entries the sync added while patching was on (recorded in its annotation on the ServiceAccount)
 * are removed once, together with the annotation, so turning patching off hands the list back
 * unchanged otherwise; a ServiceAccount without that annotation is never written.
 *
 * @param all every ServiceAccount ({@code *})
 * @param names ServiceAccount names (DNS-1123 subdomains), in the order given
 * @param patch whether ServiceAccounts are patched at all
 */
public record ServiceAccountScope(boolean all, Set<String> names, boolean patch) {

  /**
   * Validates and copies the names.
   *
   * @param all every ServiceAccount ({@code *})
   * @param names ServiceAccount names (DNS-1123 subdomains), in the order given
   * @param patch whether ServiceAccounts are patched at all
   * @throws IllegalArgumentException naming an invalid ServiceAccount name
   */
  public ServiceAccountScope {
    Objects.requireNonNull(names, "names");
    for (String n : names) {
      String p = Names.checkDnsSubdomain(Objects.requireNonNull(n, "ServiceAccount name"));
      if (p != null) {
        throw new IllegalArgumentException(
            Echo.quote(n) + " is not a valid ServiceAccount name; " + p);
      }
    }
    names = Collections.unmodifiableSet(new LinkedHashSet<>(names));
  }

  /**
   * Every ServiceAccount, patched.
   *
   * @return the scope
   */
  public static ServiceAccountScope allServiceAccounts() {
    return new ServiceAccountScope(true, Set.of(), true);
  }

  /**
   * The named ServiceAccounts, patched.
   *
   * @param names ServiceAccount names
   * @return the scope
   */
  public static ServiceAccountScope named(Collection<String> names) {
    return new ServiceAccountScope(false, new LinkedHashSet<>(names), true);
  }

  /**
   * The same scope with ServiceAccount patching turned off.
   *
   * @return a new scope
   */
  public ServiceAccountScope withoutPatching() {
    return new ServiceAccountScope(all, names, false);
  }

  /**
   * Whether a ServiceAccount should list the pull Secrets.
   *
   * @param name the ServiceAccount name
   * @return true when patching is on and the name is in scope
   */
  public boolean includes(String name) {
    return patch && (all || names.contains(name));
  }
}
