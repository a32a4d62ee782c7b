package io.acrcredential.k8s.internal;

/**
 * Turns user-supplied text into something safe to put in an error message: quoted, short, and with
 * control characters escaped so a value cannot forge extra log lines.
 */
public final class Echo {

  /** Longest part of a value that is echoed; the rest is summarised by its length. */
  public static final int MAX_ECHO = 64;

  private Echo() {}

  /**
   * Quotes and shortens a value for an error message.
   *
   * @param value the raw value (never a secret: callers must not pass secrets here)
   * @return e.g. {@code 'Foo_Bar'} or {@code 'aaaa…' (1048577 characters)}
   */
  public static String quote(String value) {
    if (value == null) {
      return "(nothing)";
    }
    String shown = value;
    boolean cut = false;
    if (value.length() > MAX_ECHO) {
      int end = MAX_ECHO;
      if (Character.isHighSurrogate(value.charAt(end - 1))) {
        end--;
      }
      shown = value.substring(0, end);
      cut = true;
    }
    StringBuilder sb = new StringBuilder(shown.length() + 16).append('\'');
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (needsEscape(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('\'');
    if (cut) {
      sb.insert(sb.length() - 1, '…').append(" (").append(value.length()).append(" characters)");
    }
    return sb.toString();
  }

  private static boolean needsEscape(char c) {
    return Character.isISOControl(c)
        || c == '\u2028'
        || c == '\u2029'
        || (c >= '\u202a' && c <= '\u202e')
        || (c >= '\u2066' && c <= '\u2069')
        || c == '\ufeff';
  }
}
