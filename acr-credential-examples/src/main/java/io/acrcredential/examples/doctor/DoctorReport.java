package io.acrcredential.examples.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What {@link Doctor} found: one line per check, a conclusion of at most three lines naming the
 * object and the change, and the exit code (0 the Pod can pull, 1 it cannot, 2 doctor could not
 * check). Immutable; holds no secret value.
 */
public final class DoctorReport {

  /** Exit code when every check passed or did not apply. */
  public static final int CAN_PULL = 0;

  /** Exit code when a check failed. */
  public static final int CANNOT_PULL = 1;

  /** Exit code when nothing failed but a check could not be done. */
  public static final int NOT_CHECKED = 2;

  private final String target;
  private final List<Doctor.Check> checks;
  private final List<String> conclusion;
  private final int exitCode;

  private DoctorReport(
      String target, List<Doctor.Check> checks, List<String> conclusion, int exitCode) {
    this.target = target;
    this.checks = List.copyOf(checks);
    this.conclusion = List.copyOf(conclusion);
    this.exitCode = exitCode;
  }

  static DoctorReport of(String target, List<Doctor.Check> checks) {
    Optional<Doctor.Check> cause =
        checks.stream()
            .filter(c -> c.outcome() == Doctor.Outcome.FAILED)
            .min(Comparator.comparingInt(Doctor.Check::rank));
    List<String> conclusion = new ArrayList<>();
    int exit;
    if (cause.isPresent()) {
      exit = CANNOT_PULL;
      Doctor.Check c = cause.get();
      Optional<Doctor.Check> symptom =
          checks.stream()
              .filter(x -> x.outcome() == Doctor.Outcome.FAILED)
              .filter(x -> x.name().equals("registry login") || x.name().equals("secret"))
              .findFirst();
      if (c.name().equals("acr") && symptom.isPresent()) {
        conclusion.add(Text.bounded(symptom.get().detail(), 160) + ", and");
        conclusion.addAll(c.fix().subList(0, Math.min(2, c.fix().size())));
      } else {
        conclusion.addAll(c.fix().subList(0, Math.min(3, c.fix().size())));
      }
      if (conclusion.isEmpty()) {
        conclusion.add(c.name() + ": " + c.detail());
      }
    } else if (checks.stream().anyMatch(c -> c.outcome() == Doctor.Outcome.UNKNOWN)) {
      exit = NOT_CHECKED;
      Doctor.Check c =
          checks.stream().filter(x -> x.outcome() == Doctor.Outcome.UNKNOWN).findFirst().get();
      conclusion.add("no failure found, but " + c.name() + " could not be checked:");
      conclusion.add(Text.bounded(c.detail(), 300));
    } else {
      exit = CAN_PULL;
      conclusion.add("no problem found: the Pod can pull " + target);
    }
    return new DoctorReport(target, checks, conclusion, exit);
  }

  /**
   * The checks in the order they ran.
   *
   * @return one entry per check
   */
  public List<Doctor.Check> checks() {
    return checks;
  }

  /**
   * The conclusion: at most three lines.
   *
   * @return the lines
   */
  public List<String> conclusion() {
    return conclusion;
  }

  /**
   * The program's exit code.
   *
   * @return {@link #CAN_PULL}, {@link #CANNOT_PULL} or {@link #NOT_CHECKED}
   */
  public int exitCode() {
    return exitCode;
  }

  /**
   * The report for a person: the target, one line per check, the conclusion.
   *
   * @return the text, ending with a newline
   */
  public String text() {
    StringBuilder out = new StringBuilder("doctor: ").append(target).append('\n');
    for (Doctor.Check c : checks) {
      out.append(String.format("  %-15s %-30s %s%n", c.outcome().label(), c.name(), c.detail()));
    }
    out.append("conclusion:\n");
    conclusion.forEach(l -> out.append("  ").append(l).append('\n'));
    return out.toString();
  }

  /**
   * The report for tools.
   *
   * @return one JSON object: target, checks (name, outcome, detail), conclusion, exitCode
   */
  public String json() {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("target", target);
    ArrayNode list = root.putArray("checks");
    for (Doctor.Check c : checks) {
      ObjectNode n = list.addObject();
      n.put("name", c.name());
      n.put("outcome", c.outcome().name().toLowerCase(java.util.Locale.ROOT));
      n.put("detail", c.detail());
    }
    ArrayNode lines = root.putArray("conclusion");
    conclusion.forEach(lines::add);
    root.put("exitCode", exitCode);
    try {
      return mapper.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
