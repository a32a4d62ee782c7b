package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PullSecretListEditTest {

  private static List<V1LocalObjectReference> refs(String... names) {
    List<V1LocalObjectReference> l = new ArrayList<>();
    for (String n : names) {
      l.add(new V1LocalObjectReference().name(n));
    }
    return l;
  }

  private static List<String> names(PullSecretListEdit e) {
    return e.entries().stream().map(V1LocalObjectReference::getName).toList();
  }

  @Test
  void appendsMissingEntriesAfterForeignOnesAndRecordsThem() {
    PullSecretListEdit e = PullSecretListEdit.apply(refs("b", "a"), null, List.of("x", "y"));
    assertThat(names(e)).containsExactly("b", "a", "x", "y");
    assertThat(e.recorded()).isEqualTo("x,y");
    assertThat(e.changed()).isTrue();
  }

  @Test
  void nullListIsEmpty() {
    PullSecretListEdit e = PullSecretListEdit.apply(null, null, List.of("x"));
    assertThat(names(e)).containsExactly("x");
  }

  @Test
  void entryTheUserAlreadyListedIsNeitherDuplicatedNorClaimed() {
    PullSecretListEdit e = PullSecretListEdit.apply(refs("x", "a"), null, List.of("x"));
    assertThat(names(e)).containsExactly("x", "a");
    assertThat(e.recorded()).isNull();
    assertThat(e.changed()).isFalse();
    // later the name is no longer wanted: the user's entry stays
    PullSecretListEdit later = PullSecretListEdit.apply(refs("x", "a"), null, List.of());
    assertThat(names(later)).containsExactly("x", "a");
    assertThat(later.changed()).isFalse();
  }

  @Test
  void removesOnlyRecordedEntriesThatAreNoLongerWanted() {
    PullSecretListEdit e = PullSecretListEdit.apply(refs("a", "x", "b", "y"), "x,y", List.of("y"));
    assertThat(names(e)).containsExactly("a", "b", "y");
    assertThat(e.recorded()).isEqualTo("y");
    assertThat(e.changed()).isTrue();
  }

  @Test
  void steadyStateIsUnchanged() {
    PullSecretListEdit e = PullSecretListEdit.apply(refs("a", "x", "y"), "x,y", List.of("x", "y"));
    assertThat(e.changed()).isFalse();
    assertThat(names(e)).containsExactly("a", "x", "y");
  }

  @Test
  void recordedEntryRemovedByAUserIsAddedBackAndStaysRecorded() {
    PullSecretListEdit e = PullSecretListEdit.apply(refs("a"), "x", List.of("x"));
    assertThat(names(e)).containsExactly("a", "x");
    assertThat(e.recorded()).isEqualTo("x");
    assertThat(e.changed()).isTrue();
  }

  @Test
  void nothingWantedAndNothingRecordedDropsTheAnnotation() {
    PullSecretListEdit e = PullSecretListEdit.apply(refs("a"), "x", List.of());
    assertThat(names(e)).containsExactly("a");
    assertThat(e.recorded()).isNull();
    assertThat(e.changed()).as("the stale annotation is removed").isTrue();
  }
}
