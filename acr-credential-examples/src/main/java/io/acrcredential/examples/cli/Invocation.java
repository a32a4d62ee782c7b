package io.acrcredential.examples.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one run of the program sees of the world: environment, standard streams, clock and home
 * directory. The real process uses {@link #system()}; tests run commands in-process with their own.
 *
 * @param env environment variables
 * @param in standard input
 * @param out standard output (protocol answers only)
 * @param err standard error (messages, logs)
 * @param clock the clock for cache decisions
 * @param home the user's home directory
 */
public record Invocation(
    Map<String, String> env,
    InputStream in,
    PrintStream out,
    PrintStream err,
    Clock clock,
    Path home) {

  public Invocation {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(home, "home");
    env = Map.copyOf(env);
  }

  public static Invocation system() {
    Map<String, String> env = new HashMap<>(System.getenv());
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    env.putIfAbsent("HOME", home);
    return new Invocation(env, System.in, System.out, System.err, Clock.systemUTC(), Path.of(home));
  }

  /** The value of a variable, trimmed, or null when unset or blank. */
  public String get(String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }
}
