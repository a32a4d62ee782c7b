package io.acrcredential.examples.util;

import java.util.Locale;

/**
 * Input quoted in an error message: at most {@link #MAX} characters, control and direction
 * characters escaped, so a value can neither flood standard error nor forge lines. Never used on
 * secrets.
 */
public final class Excerpt {

  static final int MAX = 64;

  private Excerpt() {}

  /** {@code 'value'}, or {@code 'first 64 characters…' (N characters)}. */
  public static String of(String value) {
    if (value == null) {
      return "(nothing)";
    }
    int end = Math.min(value.length(), MAX);
    if (end < value.length() && Character.isHighSurrogate(value.charAt(end - 1))) {
      end--;
    }
    StringBuilder sb = new StringBuilder(end + 24).append('\'');
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)
          || (c >= '\u2028' && c <= '\u202e')
          || (c >= '\u2066' && c <= '\u2069')
          || c == '\ufeff') {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (end < value.length()) {
      return sb.append("…' (").append(value.length()).append(" characters)").toString();
    }
    return sb.append('\'').toString();
  }
}
