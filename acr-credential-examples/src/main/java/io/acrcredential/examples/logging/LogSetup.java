package io.acrcredential.examples.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.acrcredential.examples.cli.CliException;
import java.io.FilterOutputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Logging set-up. The helper commands ({@code token}, {@code kubelet-credential-provider}, {@code
 * docker-credential}) keep the tiny slf4j-simple (fast start, quiet); the long-running commands
 * ({@code sync}, {@code demo}) use logback, configured here in code for plain or JSON lines.
 */
public final class LogSetup {

  static final String PROVIDER_PROPERTY = "slf4j.provider";
  static final String LOGBACK = "ch.qos.logback.classic.spi.LogbackServiceProvider";
  static final String SIMPLE = "org.slf4j.simple.SimpleServiceProvider";

  /** Log line formats. */
  public enum Format {
    PLAIN,
    JSON;

    public static Format parse(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "plain", "text" -> PLAIN;
        case "json" -> JSON;
        default ->
            throw CliException.usage("invalid --log-format '" + value + "': use plain or json");
      };
    }
  }

  private LogSetup() {}

  /**
   * Chooses the SLF4J provider before the first logger exists, from the command word. Two providers
   * are on the class path; naming one also keeps SLF4J from printing a warning.
   */
  public static void selectProvider(String[] args) {
    // SLF4J announces an explicitly chosen provider at INFO level on stderr; only warnings matter
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "WARN");
    }
    if (System.getProperty(PROVIDER_PROPERTY) != null) {
      return;
    }
    // a loop, not a stream: every class a helper call loads adds to its start
    String command = "";
    for (String a : args) {
      if (!a.startsWith("-")) {
        command = a;
        break;
      }
    }
    boolean daemon = command.equals("sync") || command.equals("demo");
    System.setProperty(PROVIDER_PROPERTY, daemon ? LOGBACK : SIMPLE);
  }

  /**
   * Sends every log line to {@code out} in the given format, at {@code level} for this project and
   * at most WARN for libraries. Does nothing when logback is not the SLF4J provider (then the
   * caller's choice stands).
   */
  public static void configure(Format format, String level, OutputStream out) {
    Level project = Level.toLevel(level, null);
    if (project == null) {
      throw CliException.usage(
          "invalid --log-level '" + level + "': use off, error, warn, info or debug");
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.reset();
    Encoder<ILoggingEvent> encoder;
    if (format == Format.JSON) {
      // logback's own JSON lines: level, logger, thread, the formatted message, the MDC and the
      // event's key-value pairs, and the exception (class, message, frames). Not the raw message
      // pattern or its arguments (the formatted message says it once), not the context.
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithFormattedMessage(true);
      json.setWithMDC(true);
      json.setWithKVPList(true);
      json.setWithThrowable(true);
      json.start();
      encoder = json;
    } else {
      PlainLogLayout plain = new PlainLogLayout(!project.isGreaterOrEqual(Level.INFO));
      plain.setContext(context);
      plain.start();
      LayoutWrappingEncoder<ILoggingEvent> wrapping = new LayoutWrappingEncoder<>();
      wrapping.setContext(context);
      wrapping.setLayout(plain);
      wrapping.start();
      encoder = wrapping;
    }
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setName("out");
    appender.setEncoder(encoder);
    appender.setImmediateFlush(true);
    // never close the process's stderr when logging is reconfigured or stopped
    appender.setOutputStream(
        new FilterOutputStream(out) {
          @Override
          public void write(byte[] b, int off, int len) throws java.io.IOException {
            out.write(b, off, len);
          }

          @Override
          public void close() throws java.io.IOException {
            out.flush();
          }
        });
    appender.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(project.isGreaterOrEqual(Level.WARN) ? project : Level.WARN);
    root.addAppender(appender);
    context.getLogger("io.acrcredential").setLevel(project);
    // client-java logs every thread interrupted by a normal shutdown as an ERROR with a stack
    // trace; the sync reports processing failures itself
    for (String noisy :
        List.of(
            "io.kubernetes.client.informer.cache.ProcessorListener",
            "io.kubernetes.client.informer.cache.Controller")) {
      context.getLogger(noisy).setLevel(Level.OFF);
    }
  }
}
