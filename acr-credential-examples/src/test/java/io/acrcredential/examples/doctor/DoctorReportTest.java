package io.acrcredential.examples.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.doctor.Doctor.Check;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the report picks its conclusion and exit code. */
class DoctorReportTest {

  static Check passed(String name) {
    return new Check(name, Outcome.PASSED, name + " ok", List.of(), 0);
  }

  static Check failed(String name, int rank, String... fix) {
    return new Check(name, Outcome.FAILED, name + " failed", List.of(fix), rank);
  }

  @Test
  void theMostBasicFailureIsConcludedNotTheFirstShown() {
    DoctorReport r =
        DoctorReport.of(
            "Pod a/b",
            List.of(
                passed("image host"),
                failed("service account pull secrets", Doctor.RANK_SA_LIST, "patch it"),
                failed("namespace", Doctor.RANK_NAMESPACE, "add the namespace")));
    assertThat(r.exitCode()).isEqualTo(DoctorReport.CANNOT_PULL);
    assertThat(r.conclusion()).containsExactly("add the namespace");
  }

  @Test
  void anAcrRefusalCarriesTheRegistrySymptomInThreeLines() {
    DoctorReport r =
        DoctorReport.of(
            "x",
            List.of(
                failed("acr", Doctor.RANK_ACR, "grant it", "to someone", "third line"),
                failed("registry login", Doctor.RANK_LOGIN, "rejected")));
    assertThat(r.conclusion())
        .containsExactly("registry login failed, and", "grant it", "to someone");
  }

  @Test
  void notCheckedWithoutFailureExitsTwoAndAllPassedExitsZero() {
    DoctorReport unknown =
        DoctorReport.of(
            "x",
            List.of(
                passed("a"),
                new Check("registry login", Outcome.UNKNOWN, "refused", List.of(), 0)));
    assertThat(unknown.exitCode()).isEqualTo(DoctorReport.NOT_CHECKED);
    assertThat(unknown.conclusion().get(0)).contains("registry login could not be checked");
    DoctorReport ok =
        DoctorReport.of(
            "x", List.of(passed("a"), new Check("b", Outcome.NOT_APPLICABLE, "-", List.of(), 0)));
    assertThat(ok.exitCode()).isEqualTo(DoctorReport.CAN_PULL);
    assertThat(ok.text())
        .contains("not applicable  b")
        .endsWith("no problem found: the Pod can pull x\n");
    assertThat(ok.json()).contains("\"outcome\":\"not_applicable\"").contains("\"exitCode\":0");
  }
}
