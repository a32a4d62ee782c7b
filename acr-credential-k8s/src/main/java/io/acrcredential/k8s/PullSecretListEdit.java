package io.acrcredential.k8s;

import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Computes a ServiceAccount's new {@code imagePullSecrets}: adds the wanted names that are missing
 * at the end, removes only names this instance added earlier (recorded in an annotation) that are
 * no longer wanted, and keeps every other entry in its place.
 *
 * @param entries the new list
 * @param recorded the new annotation value (comma-separated names this instance added), or null
 *     when it added none
 * @param changed whether the list or the annotation differs from before
 */
record PullSecretListEdit(List<V1LocalObjectReference> entries, String recorded, boolean changed) {

  static PullSecretListEdit apply(
      List<V1LocalObjectReference> current, String recordedBefore, List<String> wanted) {
    List<V1LocalObjectReference> before = current == null ? List.of() : current;
    Set<String> recorded = parse(recordedBefore);
    Set<String> wantedSet = new LinkedHashSet<>(wanted);

    List<V1LocalObjectReference> after = new ArrayList<>();
    for (V1LocalObjectReference ref : before) {
      String name = ref == null ? null : ref.getName();
      if (name != null && recorded.contains(name) && !wantedSet.contains(name)) {
        continue; // ours and no longer wanted
      }
      after.add(ref);
    }
    Set<String> present = new LinkedHashSet<>();
    for (V1LocalObjectReference ref : after) {
      if (ref != null && ref.getName() != null) {
        present.add(ref.getName());
      }
    }
    Set<String> nowRecorded = new LinkedHashSet<>();
    for (String name : wantedSet) {
      if (!present.contains(name)) {
        after.add(new V1LocalObjectReference().name(name));
        nowRecorded.add(name);
      } else if (recorded.contains(name)) {
        nowRecorded.add(name);
      }
    }
    String value = nowRecorded.isEmpty() ? null : String.join(",", nowRecorded);
    boolean changed =
        !names(before).equals(names(after)) || !Objects.equals(normalise(recordedBefore), value);
    return new PullSecretListEdit(java.util.Collections.unmodifiableList(after), value, changed);
  }

  private static List<String> names(List<V1LocalObjectReference> refs) {
    List<String> names = new ArrayList<>();
    for (V1LocalObjectReference ref : refs) {
      names.add(ref == null ? null : ref.getName());
    }
    return names;
  }

  static String normalise(String recorded) {
    Set<String> set = parse(recorded);
    return set.isEmpty() ? null : String.join(",", set);
  }

  static Set<String> parse(String recorded) {
    Set<String> set = new LinkedHashSet<>();
    if (recorded != null) {
      Arrays.stream(recorded.split(","))
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .forEach(set::add);
    }
    return set;
  }
}
