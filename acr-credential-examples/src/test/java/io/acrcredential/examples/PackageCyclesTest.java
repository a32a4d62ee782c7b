package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.TokenProvider;
import io.acrcredential.k8s.PullSecretSync;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * No package of the program, the Kubernetes adapter or the core reaches back up: {@code jdeps}
 * (from the JDK running the test) lists the package dependencies of their compiled classes, and a
 * cycle (A uses B and B uses A, directly or through a chain) fails the test, named package by
 * package.
 */
class PackageCyclesTest {

  private static final Pattern EDGE =
      Pattern.compile(
          "^\\s+(io\\.acrcredential\\.[\\w.]+)\\s+->\\s+(io\\.acrcredential\\.[\\w.]+)\\s");

  @Test
  void theProgramsPackagesHaveNoCycle() {
    assertNoCycle(classesOf(Main.class));
  }

  @Test
  void theKubernetesAdaptersPackagesHaveNoCycle() {
    assertNoCycle(classesOf(PullSecretSync.class));
  }

  @Test
  void theCoresPackagesHaveNoCycle() {
    assertNoCycle(classesOf(TokenProvider.class));
  }

  @Test
  void aBackReferenceIsFoundAndNamed() {
    Map<String, Set<String>> graph = new TreeMap<>();
    graph.computeIfAbsent("a", k -> new TreeSet<>()).add("b");
    graph.computeIfAbsent("b", k -> new TreeSet<>()).add("c");
    graph.computeIfAbsent("c", k -> new TreeSet<>()).add("a");
    graph.computeIfAbsent("c", k -> new TreeSet<>()).add("d");
    assertThat(cycle(graph)).contains(List.of("a", "b", "c", "a"));
    graph.get("c").remove("a");
    assertThat(cycle(graph)).isEmpty();
  }

  private static void assertNoCycle(Path classes) {
    Map<String, Set<String>> graph = packageGraph(classes);
    assertThat(graph).as("jdeps found package dependencies in " + classes).isNotEmpty();
    assertThat(cycle(graph))
        .as("package cycle in " + classes + " (dependencies: " + graph + ")")
        .map(c -> String.join(" -> ", c))
        .isEmpty();
  }

  /** Where a class was loaded from: a module's target/classes or its jar. */
  private static Path classesOf(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Package to the packages it uses, within this project and within {@code classes}. */
  static Map<String, Set<String>> packageGraph(Path classes) {
    ToolProvider jdeps =
        ToolProvider.findFirst("jdeps")
            .orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        jdeps.run(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            "-verbose:package",
            "-e",
            "io\\.acrcredential\\..*",
            classes.toString());
    assertThat(code).as("jdeps: " + err.toString(StandardCharsets.UTF_8)).isZero();
    Map<String, Set<String>> graph = new TreeMap<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      Matcher m = EDGE.matcher(line);
      // "not found": a package of another module (jdeps gets no class path), not of this one
      if (m.find() && !line.stripTrailing().endsWith("not found")) {
        graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
      }
    }
    return graph;
  }

  /** One cycle as a path that starts and ends at the same package, if there is any. */
  static Optional<List<String>> cycle(Map<String, Set<String>> graph) {
    Set<String> done = new TreeSet<>();
    for (String start : graph.keySet()) {
      Optional<List<String>> found = cycleFrom(start, graph, done, new ArrayDeque<>());
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private static Optional<List<String>> cycleFrom(
      String node, Map<String, Set<String>> graph, Set<String> done, Deque<String> path) {
    if (path.contains(node)) {
      List<String> cycle = new ArrayList<>();
      boolean in = false;
      for (String p : (Iterable<String>) path::descendingIterator) {
        in |= p.equals(node);
        if (in) {
          cycle.add(p);
        }
      }
      cycle.add(node);
      return Optional.of(cycle);
    }
    if (done.contains(node)) {
      return Optional.empty();
    }
    path.push(node);
    for (String next : graph.getOrDefault(node, Set.of())) {
      Optional<List<String>> found = cycleFrom(next, graph, done, path);
      if (found.isPresent()) {
        return found;
      }
    }
    path.pop();
    done.add(node);
    return Optional.empty();
  }
}
