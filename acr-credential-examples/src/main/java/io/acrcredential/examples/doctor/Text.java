package io.acrcredential.examples.doctor;

/** Bounding what others control before it is shown. */
final class Text {

  private Text() {}

  /** The text on one line, control characters replaced, cut to {@code max} characters. */
  static String bounded(String s, int max) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(s.length(), max + 1));
    for (int i = 0; i < s.length() && out.length() < max; i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) ? ' ' : c);
    }
    if (s.length() > max) {
      out.append('…');
    }
    return out.toString();
  }
}
