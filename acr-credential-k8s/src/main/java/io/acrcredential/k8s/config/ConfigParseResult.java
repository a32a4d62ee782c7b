package io.acrcredential.k8s.config;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The outcome of parsing a ConfigMap: the usable configuration plus every problem found.
 *
 * <p>The configuration always exists. Where a key had errors, its valid parts are kept (valid
 * namespace names of a list, valid items of {@code acr-registry-info}) and a key with nothing valid
 * left falls back to its default. A component that already runs with an earlier configuration
 * should keep its earlier value for every key listed in {@link #invalidKeys()} — in particular for
 * the scope keys, so a typo never shrinks the scope and triggers clean-ups.
 *
 * @param config the best-effort configuration
 * @param problems every error and warning, in the order found
 */
public record ConfigParseResult(AcrConfiguration config, List<ConfigProblem> problems) {

  /**
   * Copies the list and checks for nulls.
   *
   * @param config the best-effort configuration
   * @param problems every error and warning, in the order found
   * @throws NullPointerException naming the missing component
   */
  public ConfigParseResult {
    Objects.requireNonNull(config, "config");
    problems = List.copyOf(problems);
  }

  /**
   * Whether any problem is an error.
   *
   * @return true when at least one value was rejected
   */
  public boolean hasErrors() {
    return problems.stream().anyMatch(ConfigProblem::isError);
  }

  /**
   * The errors only.
   *
   * @return the problems with severity ERROR
   */
  public List<ConfigProblem> errors() {
    return problems.stream().filter(ConfigProblem::isError).toList();
  }

  /**
   * The warnings only.
   *
   * @return the problems with severity WARNING
   */
  public List<ConfigProblem> warnings() {
    return problems.stream().filter(p -> !p.isError()).toList();
  }

  /**
   * The top-level keys that have at least one error.
   *
   * @return the key names, in the order found
   */
  public Set<String> invalidKeys() {
    Set<String> keys = new LinkedHashSet<>();
    for (ConfigProblem p : problems) {
      if (p.isError()) {
        keys.add(p.key());
      }
    }
    return Collections.unmodifiableSet(keys);
  }

  /**
   * The configuration, or an exception listing every error.
   *
   * @return the configuration when there are no errors (warnings are allowed)
   * @throws InvalidConfigurationException when there is at least one error
   */
  public AcrConfiguration orThrow() {
    if (hasErrors()) {
      throw new InvalidConfigurationException(problems);
    }
    return config;
  }
}
