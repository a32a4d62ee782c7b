package io.acrcredential.k8s.config;

import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which namespaces get pull Secrets.
 *
 * <p>A namespace is in scope when it is <em>included</em> — {@link #all()} is set, or its name is
 * in {@link #names()}, or its labels match {@link #selector()} — and it is not <em>excluded</em> by
 * a name or pattern in {@link #exclusions()}. Exclusions always win.
 *
 * <p>No namespace is excluded implicitly: with {@code all}, {@code kube-system}, {@code
 * kube-public} and {@code kube-node-lease} are in scope unless listed in the exclusions.
 *
 * @param all every namespace is included
 * @param names namespaces included by name (DNS-1123 labels), in the order given
 * @param selector namespaces whose labels match are included as well
 * @param exclusions names or patterns ({@code *} matches any run of characters, e.g. {@code
 *     kube-*}) that are never in scope
 */
public record NamespaceScope(
    boolean all, Set<String> names, Optional<LabelSelector> selector, List<String> exclusions) {

  /**
   * Validates and copies the values.
   *
   * @param all every namespace is included
   * @param names namespaces included by name (DNS-1123 labels), in the order given
   * @param selector namespaces whose labels match are included as well
   * @param exclusions names or patterns ({@code *} matches any run of characters, e.g. {@code
   *     kube-*}) that are never in scope
   * @throws IllegalArgumentException naming an invalid namespace name or pattern
   */
  public NamespaceScope {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(selector, "selector");
    Objects.requireNonNull(exclusions, "exclusions");
    for (String n : names) {
      String p = Names.checkDnsLabel(Objects.requireNonNull(n, "namespace name"));
      if (p != null) {
        throw new IllegalArgumentException(Echo.quote(n) + " is not a valid namespace name; " + p);
      }
    }
    for (String e : exclusions) {
      String p = Names.checkNamespacePattern(Objects.requireNonNull(e, "exclusion"));
      if (p != null) {
        throw new IllegalArgumentException(Echo.quote(e) + " is not a valid exclusion; " + p);
      }
    }
    names = Collections.unmodifiableSet(new LinkedHashSet<>(names));
    exclusions = List.copyOf(exclusions);
  }

  /**
   * Every namespace.
   *
   * @return a scope including all namespaces, with no exclusions
   */
  public static NamespaceScope allNamespaces() {
    return new NamespaceScope(true, Set.of(), Optional.empty(), List.of());
  }

  /**
   * The listed namespaces.
   *
   * @param names namespace names
   * @return the scope
   */
  public static NamespaceScope named(Collection<String> names) {
    return new NamespaceScope(false, new LinkedHashSet<>(names), Optional.empty(), List.of());
  }

  /**
   * Namespaces whose labels match a selector.
   *
   * @param selector the selector
   * @return the scope
   */
  public static NamespaceScope matching(LabelSelector selector) {
    return new NamespaceScope(false, Set.of(), Optional.of(selector), List.of());
  }

  /**
   * The same scope with more exclusions.
   *
   * @param more names or patterns to exclude
   * @return a new scope
   */
  public NamespaceScope excluding(Collection<String> more) {
    List<String> all = new ArrayList<>(exclusions);
    all.addAll(more);
    return new NamespaceScope(this.all, names, selector, all);
  }

  /**
   * Whether a namespace is excluded by name or pattern.
   *
   * @param namespace the namespace name
   * @return true when an exclusion matches
   */
  public boolean isExcluded(String namespace) {
    return exclusions.stream().anyMatch(p -> Names.globMatches(p, namespace));
  }

  /**
   * Whether a namespace is in scope.
   *
   * @param namespace the namespace name
   * @param labels its labels (null means none)
   * @return true when included and not excluded
   */
  public boolean includes(String namespace, Map<String, String> labels) {
    if (isExcluded(namespace)) {
      return false;
    }
    return all || names.contains(namespace) || selector.map(s -> s.matches(labels)).orElse(false);
  }
}
