package io.acrcredential.examples.logging;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logger for the helper commands' hot path that starts SLF4J only when a line is actually logged.
 * Starting SLF4J (finding its provider through the service loader, building the logger) costs more
 * than everything else a warm Docker helper or kubelet plugin call does, and such a call normally
 * logs nothing. Debug lines are written only after {@link #enableDebug()} ({@code --debug}) or when
 * the SLF4J simple logger is set to debug.
 */
public final class LazyLog {

  private static volatile boolean debug;

  private final Class<?> owner;
  private volatile Logger logger;

  /** A logger named after {@code owner}, made on its first line. */
  public LazyLog(Class<?> owner) {
    this.owner = owner;
  }

  /** From now on debug lines are logged (the program's {@code --debug}). */
  public static void enableDebug() {
    debug = true;
  }

  private static boolean debugWanted() {
    return debug || "debug".equals(System.getProperty("org.slf4j.simpleLogger.defaultLogLevel"));
  }

  private Logger logger() {
    Logger l = logger;
    if (l == null) {
      l = LoggerFactory.getLogger(owner);
      logger = l;
    }
    return l;
  }

  public void warn(String format, Object... args) {
    logger().warn(format, args);
  }

  /** Whether a debug line would be written; guards arguments that cost to compute. */
  public boolean isDebugEnabled() {
    return (debugWanted() || logger != null) && logger().isDebugEnabled();
  }

  public void debug(String format, Object... args) {
    if (debugWanted() || logger != null) {
      logger().debug(format, args);
    }
  }
}
