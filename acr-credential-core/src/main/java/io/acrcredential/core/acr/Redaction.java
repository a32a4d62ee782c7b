package io.acrcredential.core.acr;

import java.util.regex.Pattern;

/**
 * Makes text from servers and transports safe for messages and logs: no URL query strings (they
 * carry signatures and STS tokens), no "string to sign" echoes, no long opaque tokens.
 */
final class Redaction {

  private static final Pattern URL_QUERY = Pattern.compile("(https?://[^\\s?#]*)[?#]\\S*");
  private static final Pattern STRING_TO_SIGN =
      Pattern.compile("(?is)(string\\s*to\\s*sign|stringtosign).*");
  private static final Pattern OPAQUE = Pattern.compile("[A-Za-z0-9+/=_%\\-]{24,}");
  private static final int MAX_LENGTH = 240;

  private Redaction() {}

  /**
   * Scrubs text for use in a message.
   *
   * @param text any text, may be null
   * @return the scrubbed text, or an empty string for null
   */
  static String scrub(String text) {
    if (text == null) {
      return "";
    }
    String s = URL_QUERY.matcher(text).replaceAll("$1?<redacted>");
    s = STRING_TO_SIGN.matcher(s).replaceAll("$1 <redacted>");
    s = OPAQUE.matcher(s).replaceAll("<redacted>");
    s = s.replaceAll("\\s+", " ").trim();
    if (s.length() > MAX_LENGTH) {
      s = s.substring(0, MAX_LENGTH) + "…";
    }
    return s;
  }
}
