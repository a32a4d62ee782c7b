package io.acrcredential.examples.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;

/**
 * One line per event: time, level, logger, message and, when there is one, the exception as {@code
 * [Class: message]} (multi-line messages folded). With {@code stackTraces} the full stack trace
 * follows (debug level only), so a library's failure never floods the log with traces.
 */
final class PlainLogLayout extends LayoutBase<ILoggingEvent> {

  private final boolean stackTraces;

  PlainLogLayout(boolean stackTraces) {
    this.stackTraces = stackTraces;
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder out = new StringBuilder(160);
    out.append(Instant.ofEpochMilli(event.getTimeStamp()))
        .append(' ')
        .append(String.format("%-5s", event.getLevel()))
        .append(' ')
        .append(shortName(event.getLoggerName()))
        .append(" - ")
        .append(event.getFormattedMessage());
    IThrowableProxy t = event.getThrowableProxy();
    if (t != null) {
      out.append(" [").append(oneLine(t)).append(']');
      if (stackTraces) {
        out.append('\n').append(ThrowableProxyUtil.asString(t));
      }
    }
    return out.append('\n').toString();
  }

  static String oneLine(IThrowableProxy t) {
    String message = t.getMessage() == null ? "" : ": " + t.getMessage();
    return (t.getClassName() + message).replaceAll("\\s*[\\r\\n]+\\s*", " | ");
  }

  private static String shortName(String logger) {
    int dot = logger.lastIndexOf('.');
    return dot < 0 ? logger : logger.substring(dot + 1);
  }
}
