package io.acrcredential.examples.doctor;

/** A group of checks that run in order and record their outcome in the {@link Findings}. */
interface Step {

  /**
   * Runs the group's checks.
   *
   * @param f what the checks before found; this group's results are added to it
   */
  void run(Findings f);
}
