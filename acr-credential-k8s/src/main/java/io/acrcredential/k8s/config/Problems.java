package io.acrcredential.k8s.config;

import io.acrcredential.k8s.config.ConfigProblem.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Collects problems, capped so that a hostile ConfigMap cannot produce an unbounded list. */
final class Problems {

  /** Most problems kept; the rest are counted in one closing problem. */
  static final int MAX = 200;

  private final List<ConfigProblem> list = new ArrayList<>();
  private final UnaryOperator<String> scrub;
  private int droppedErrors;
  private int droppedWarnings;
  private int errorCount;

  Problems(UnaryOperator<String> scrub) {
    this.scrub = scrub;
  }

  void error(String key, String location, String message) {
    add(new ConfigProblem(Severity.ERROR, key, location, message));
  }

  void warn(String key, String location, String message) {
    add(new ConfigProblem(Severity.WARNING, key, location, message));
  }

  private void add(ConfigProblem raw) {
    ConfigProblem p =
        new ConfigProblem(
            raw.severity(),
            scrub.apply(raw.key()),
            scrub.apply(raw.location()),
            scrub.apply(raw.message()));
    if (p.isError()) {
      errorCount++;
    }
    if (list.size() < MAX) {
      list.add(p);
    } else if (p.isError()) {
      droppedErrors++;
    } else {
      droppedWarnings++;
    }
  }

  /** Errors recorded so far, including dropped ones; callers compare counts to see new errors. */
  int errorCount() {
    return errorCount;
  }

  List<ConfigProblem> result() {
    List<ConfigProblem> out = new ArrayList<>(list);
    if (droppedErrors + droppedWarnings > 0) {
      out.add(
          new ConfigProblem(
              droppedErrors > 0 ? Severity.ERROR : Severity.WARNING,
              "(all)",
              "(all)",
              (droppedErrors + droppedWarnings)
                  + " more problems not listed ("
                  + droppedErrors
                  + " errors, "
                  + droppedWarnings
                  + " warnings); fix the ones above first"));
    }
    return out;
  }
}
