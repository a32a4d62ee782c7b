package io.acrcredential.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The lines a benchmark prints, kept to be written to a file under {@code target/} at the end. */
final class Report {

  private final List<String> lines = new ArrayList<>();

  /** Prints a line ({@link String#format} with the root locale when there are arguments). */
  void line(String format, Object... args) {
    String s = args.length == 0 ? format : String.format(Locale.ROOT, format, args);
    lines.add(s);
    System.out.println(s);
  }

  /** Writes every line so far to {@code target/<fileName>} and says where, or why not. */
  void write(String fileName) {
    Path out = Path.of("target", fileName);
    try {
      Files.createDirectories(out.getParent());
      Files.write(out, lines);
      System.out.println("report written to " + out.toAbsolutePath());
    } catch (IOException e) {
      System.out.println("could not write " + out + ": " + e);
    }
  }
}
