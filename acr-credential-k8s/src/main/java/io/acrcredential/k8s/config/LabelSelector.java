package io.acrcredential.k8s.config;

import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes label selector in its text form, parsed and validated: a comma-separated list of
 * requirements that must all hold, such as {@code env in (prod,staging),team=payments,!legacy}.
 *
 * <p>Supported requirements: {@code key} (exists), {@code !key} (does not exist), {@code key=value}
 * (or {@code ==}), {@code key!=value}, {@code key in (a,b)}, {@code key notin (a,b)}. As in
 * Kubernetes, {@code !=} and {@code notin} also match objects without the key. {@link #toString()}
 * gives a canonical text that the Kubernetes API server accepts as a {@code labelSelector}.
 *
 * @param requirements the requirements, all of which must hold; empty matches everything
 */
public record LabelSelector(List<Requirement> requirements) {

  /** Most requirements one selector may hold. */
  static final int MAX_REQUIREMENTS = 64;

  /** Most values one {@code in}/{@code notin} requirement may list. */
  static final int MAX_VALUES = 256;

  private static final Pattern EQUALITY =
      Pattern.compile("([^\\s=!(),]+)\\s*(==|!=|=)\\s*([^\\s=!(),]*)");
  private static final Pattern SET =
      Pattern.compile("([^\\s=!(),]+)\\s+(in|notin)\\s*\\(([^()]*)\\)");
  private static final Pattern EXISTS = Pattern.compile("(!?)\\s*([^\\s=!(),]+)");

  /** The operators a requirement may use. */
  public enum Operator {
    /** {@code key=value}: the label exists and has this value. */
    EQUALS,
    /** {@code key!=value}: the label is absent or has another value. */
    NOT_EQUALS,
    /** {@code key in (a,b)}: the label exists and has one of the values. */
    IN,
    /** {@code key notin (a,b)}: the label is absent or has none of the values. */
    NOT_IN,
    /** {@code key}: the label exists. */
    EXISTS,
    /** {@code !key}: the label does not exist. */
    DOES_NOT_EXIST
  }

  /**
   * One requirement of a selector.
   *
   * @param key the label key
   * @param operator the operator
   * @param values the values: exactly one for (NOT_)EQUALS, at least one for (NOT_)IN, none for
   *     (DOES_NOT_)EXIST; kept sorted
   */
  public record Requirement(String key, Operator operator, Set<String> values) {

    /**
     * Validates the requirement.
     *
     * @param key the label key
     * @param operator the operator
     * @param values the values: exactly one for (NOT_)EQUALS, at least one for (NOT_)IN, none for
     *     (DOES_NOT_)EXIST; kept sorted
     * @throws IllegalArgumentException naming the key or value that is invalid
     */
    public Requirement {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(operator, "operator");
      Objects.requireNonNull(values, "values");
      String keyProblem = Names.checkLabelKey(key);
      if (keyProblem != null) {
        throw new IllegalArgumentException(
            Echo.quote(key) + " is not a valid label key; " + keyProblem);
      }
      for (String v : values) {
        String valueProblem = Names.checkLabelValue(Objects.requireNonNull(v, "value"));
        if (valueProblem != null) {
          throw new IllegalArgumentException(
              Echo.quote(v) + " is not a valid label value; " + valueProblem);
        }
      }
      int n = values.size();
      switch (operator) {
        case EQUALS, NOT_EQUALS -> {
          if (n != 1) {
            throw new IllegalArgumentException(operator + " needs exactly one value");
          }
        }
        case IN, NOT_IN -> {
          if (n == 0) {
            throw new IllegalArgumentException("needs at least one value in the parentheses");
          }
          if (n > MAX_VALUES) {
            throw new IllegalArgumentException(
                "'" + key + "' lists " + n + " values; at most " + MAX_VALUES + " are allowed");
          }
        }
        default -> {
          if (n != 0) {
            throw new IllegalArgumentException(operator + " takes no values");
          }
        }
      }
      values = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(values));
    }

    /**
     * Whether a label map satisfies this requirement.
     *
     * @param labels the object's labels (may be empty, not null)
     * @return true when it holds
     */
    public boolean matches(Map<String, String> labels) {
      String value = labels.get(key);
      return switch (operator) {
        case EQUALS, IN -> value != null && values.contains(value);
        case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
        case EXISTS -> labels.containsKey(key);
        case DOES_NOT_EXIST -> !labels.containsKey(key);
      };
    }

    /**
     * The requirement in Kubernetes selector syntax.
     *
     * @return e.g. {@code env in (prod,staging)}
     */
    @Override
    public String toString() {
      return switch (operator) {
        case EQUALS -> key + "=" + values.iterator().next();
        case NOT_EQUALS -> key + "!=" + values.iterator().next();
        case IN -> key + " in (" + String.join(",", values) + ")";
        case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
        case EXISTS -> key;
        case DOES_NOT_EXIST -> "!" + key;
      };
    }
  }

  /**
   * Copies the list.
   *
   * @param requirements the requirements, all of which must hold; empty matches everything
   * @throws IllegalArgumentException when there are more than 64 requirements
   */
  public LabelSelector {
    requirements = List.copyOf(requirements);
    if (requirements.size() > MAX_REQUIREMENTS) {
      throw new IllegalArgumentException(
          "a selector may hold at most " + MAX_REQUIREMENTS + " requirements");
    }
  }

  /**
   * Parses a selector in Kubernetes text syntax.
   *
   * @param text e.g. {@code env in (prod,staging),!legacy}
   * @return the selector
   * @throws IllegalArgumentException listing every requirement that cannot be parsed
   */
  public static LabelSelector parse(String text) {
    List<String> errors = new ArrayList<>();
    LabelSelector s = parse(Objects.requireNonNull(text, "text"), errors);
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return s;
  }

  /** Parses, adding one message per bad requirement to {@code errors}; returns the valid part. */
  static LabelSelector parse(String text, List<String> errors) {
    List<Requirement> result = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
        if (depth > 1) {
          errors.add("nested parentheses are not allowed");
          return new LabelSelector(List.of());
        }
      } else if (c == ')') {
        depth--;
        if (depth < 0) {
          errors.add("a ')' has no matching '('");
          return new LabelSelector(List.of());
        }
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    if (depth != 0) {
      errors.add("a '(' is not closed");
      return new LabelSelector(List.of());
    }
    parts.add(text.substring(start));
    if (parts.size() > MAX_REQUIREMENTS) {
      errors.add(
          "the selector has "
              + parts.size()
              + " requirements; at most "
              + MAX_REQUIREMENTS
              + " are allowed");
      return new LabelSelector(List.of());
    }
    for (String raw : parts) {
      String part = raw.strip();
      if (part.isEmpty()) {
        if (parts.size() > 1) {
          errors.add("empty requirement (a stray comma)");
        }
        continue;
      }
      try {
        result.add(parseRequirement(part));
      } catch (IllegalArgumentException e) {
        errors.add("requirement " + Echo.quote(part) + ": " + e.getMessage());
      }
    }
    return new LabelSelector(result);
  }

  private static Requirement parseRequirement(String part) {
    Matcher m = SET.matcher(part);
    if (m.matches()) {
      Operator op = m.group(2).equals("in") ? Operator.IN : Operator.NOT_IN;
      Set<String> values = new TreeSet<>();
      String inner = m.group(3);
      String[] items = inner.split(",", -1);
      if (items.length > MAX_VALUES) {
        throw new IllegalArgumentException("at most " + MAX_VALUES + " values are allowed");
      }
      for (String v : items) {
        String t = v.strip();
        if (t.isEmpty()) {
          if (inner.isBlank()) {
            break;
          }
          throw new IllegalArgumentException("empty value in the list");
        }
        values.add(t);
      }
      return new Requirement(m.group(1), op, values);
    }
    m = EQUALITY.matcher(part);
    if (m.matches()) {
      Operator op = m.group(2).equals("!=") ? Operator.NOT_EQUALS : Operator.EQUALS;
      return new Requirement(m.group(1), op, Set.of(m.group(3)));
    }
    m = EXISTS.matcher(part);
    if (m.matches()) {
      Operator op = m.group(1).isEmpty() ? Operator.EXISTS : Operator.DOES_NOT_EXIST;
      return new Requirement(m.group(2), op, Set.of());
    }
    throw new IllegalArgumentException(
        "expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b)");
  }

  /**
   * A selector from requirements.
   *
   * @param requirements the requirements, all of which must hold
   * @return the selector
   */
  public static LabelSelector of(Collection<Requirement> requirements) {
    return new LabelSelector(List.copyOf(requirements));
  }

  /**
   * Whether a label map satisfies every requirement.
   *
   * @param labels the object's labels; null is treated as no labels
   * @return true when all requirements hold (always true for an empty selector)
   */
  public boolean matches(Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    return requirements.stream().allMatch(r -> r.matches(l));
  }

  /**
   * The selector in Kubernetes syntax, usable as a {@code labelSelector} query parameter.
   *
   * @return e.g. {@code env in (prod,staging),!legacy}; empty for the match-all selector
   */
  @Override
  public String toString() {
    return String.join(",", requirements.stream().map(Requirement::toString).toList());
  }
}
