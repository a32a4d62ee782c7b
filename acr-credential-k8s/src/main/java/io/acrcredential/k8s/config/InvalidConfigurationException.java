package io.acrcredential.k8s.config;

import java.util.List;

/**
 * Thrown by {@link AcrConfigParser#parseStrict} when a ConfigMap has errors. The message lists
 * every error (not just the first), one per line; {@link #problems()} holds them all, warnings
 * included.
 */
public final class InvalidConfigurationException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient List<ConfigProblem> problems;

  /**
   * Creates the exception.
   *
   * @param problems all problems found; the errors among them make up the message
   */
  public InvalidConfigurationException(List<ConfigProblem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * Every problem found, errors and warnings, in the order they were found.
   *
   * @return an immutable list
   */
  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String render(List<ConfigProblem> problems) {
    List<ConfigProblem> errors = problems.stream().filter(ConfigProblem::isError).toList();
    StringBuilder sb =
        new StringBuilder("invalid acr-configuration: ")
            .append(errors.size())
            .append(errors.size() == 1 ? " error" : " errors");
    for (ConfigProblem p : errors) {
      sb.append("\n  - ").append(p.location()).append(": ").append(p.message());
    }
    return sb.toString();
  }
}
