package io.acrcredential.k8s.config;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Parses durations written the way Go's {@code time.ParseDuration} accepts them: a sequence of
 * decimal numbers with a unit each, such as {@code 15m}, {@code 1h30m}, {@code 90s}, {@code 1.5h},
 * {@code 500ms}. Units: ns, us (µs), ms, s, m, h. A bare {@code 0} is allowed.
 */
final class GoDuration {

  static final String RULE =
      "expected a Go-style duration such as 15m, 1h30m or 90s (units ns, us, ms, s, m, h)";
  private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

  private GoDuration() {}

  /**
   * Parses a duration.
   *
   * @param text the text, already trimmed
   * @return the duration
   * @throws IllegalArgumentException with a message saying what is wrong (without the value)
   */
  static Duration parse(String text) {
    if (text.isEmpty() || text.length() > 64) {
      throw new IllegalArgumentException(RULE);
    }
    int i = 0;
    boolean negative = false;
    if (text.charAt(0) == '-' || text.charAt(0) == '+') {
      negative = text.charAt(0) == '-';
      i++;
    }
    if (text.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    if (i == text.length()) {
      throw new IllegalArgumentException(RULE);
    }
    BigDecimal total = BigDecimal.ZERO;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && (Character.isDigit(text.charAt(i)) || text.charAt(i) == '.')) {
        i++;
      }
      String number = text.substring(start, i);
      if (number.isEmpty()
          || number.equals(".")
          || number.indexOf('.') != number.lastIndexOf('.')) {
        throw new IllegalArgumentException(RULE);
      }
      int unitStart = i;
      while (i < text.length() && !Character.isDigit(text.charAt(i)) && text.charAt(i) != '.') {
        i++;
      }
      String unit = text.substring(unitStart, i);
      long nanosPerUnit =
          switch (unit) {
            case "ns" -> 1L;
            case "us", "µs", "μs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "" -> throw new IllegalArgumentException("missing unit; " + RULE);
            default -> throw new IllegalArgumentException("unknown unit; " + RULE);
          };
      BigDecimal value;
      try {
        value = new BigDecimal(number.endsWith(".") ? number + "0" : number);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(RULE);
      }
      total = total.add(value.multiply(BigDecimal.valueOf(nanosPerUnit)));
      if (total.compareTo(MAX_NANOS) > 0) {
        throw new IllegalArgumentException("duration too large; " + RULE);
      }
    }
    long nanos = total.longValue();
    return Duration.ofNanos(negative ? -nanos : nanos);
  }

  /**
   * Formats a duration the Go way, e.g. {@code 1h30m0s}, for messages and documentation.
   *
   * @param d a duration
   * @return its Go-style text
   */
  static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    if (d.isNegative()) {
      sb.append('-');
      d = d.negated();
    }
    long h = d.toHours();
    int m = d.toMinutesPart();
    int s = d.toSecondsPart();
    int ms = d.toMillisPart();
    if (h > 0) {
      sb.append(h).append('h');
    }
    if (h > 0 || m > 0) {
      sb.append(m).append('m');
    }
    sb.append(s);
    if (ms > 0) {
      sb.append('.').append(String.format("%03d", ms).replaceAll("0+$", ""));
    }
    return sb.append('s').toString();
  }
}
