package io.acrcredential.core;

import java.util.Locale;

/**
 * Validation and normalisation of registry hosts, following the host part of the Docker image
 * reference grammar.
 *
 * <p>A registry host is one of
 *
 * <ul>
 *   <li>a DNS name: dot-separated labels of {@code a-z}, {@code 0-9} and {@code -}, each 1 to 63
 *       characters, not starting or ending with {@code -}; at most 253 characters in all; the last
 *       label is not all digits (so {@code 999.1.1.1} is rejected instead of being taken for a
 *       name). A single label such as {@code localhost} is allowed;
 *   <li>an IPv4 address in dotted decimal, without leading zeros;
 *   <li>an IPv6 address in brackets, such as {@code [fd00::1]} (no zone id);
 * </ul>
 *
 * optionally followed by {@code :port} with a port from 1 to 65535 written without leading zeros.
 *
 * <p>Normalisation trims surrounding whitespace and lower-cases the value; nothing else is
 * rewritten (IPv6 addresses are not compressed, ports not reformatted), so a normalised host is
 * what a registry client and the kubelet compare against. Schemes ({@code https://}), paths,
 * user-info, inner whitespace, trailing dots, non-ASCII names and empty values are rejected with a
 * message that quotes the value and says what is wrong.
 */
public final class RegistryHosts {

  private static final int MAX_NAME_LENGTH = 253;
  private static final int MAX_LABEL_LENGTH = 63;
  private static final int MAX_QUOTED = 120;

  private RegistryHosts() {}

  /**
   * Validates a registry host and returns its normal form.
   *
   * @param host a host such as {@code Registry.CN-Hangzhou.aliyuncs.com} or {@code 10.0.0.5:5000}
   * @return the trimmed, lower-cased host, such as {@code registry.cn-hangzhou.aliyuncs.com}
   * @throws IllegalArgumentException naming the value and what is wrong with it
   */
  public static String normalize(String host) {
    if (host == null) {
      throw new IllegalArgumentException("registry host is missing (null)");
    }
    String value = host.strip().toLowerCase(Locale.ROOT);
    String problem = problem(value);
    if (problem != null) {
      throw new IllegalArgumentException("invalid registry host " + quote(host) + ": " + problem);
    }
    return value;
  }

  /**
   * Whether a value is a valid registry host (after trimming and lower-casing).
   *
   * @param host the value; null is not valid
   * @return true when {@link #normalize(String)} would accept it
   */
  public static boolean isValid(String host) {
    return host != null && problem(host.strip().toLowerCase(Locale.ROOT)) == null;
  }

  /**
   * Quotes a user-supplied value for an error message: in single quotes, control characters
   * escaped, cut after a fixed length so a huge value cannot flood a log.
   */
  static String quote(String value) {
    return quote(value, '\'');
  }

  /** Like {@link #quote(String)} with another quote character; that character is escaped. */
  static String quote(String value, char quoteChar) {
    StringBuilder out = new StringBuilder().append(quoteChar);
    int limit = Math.min(value.length(), MAX_QUOTED);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else if (c == quoteChar || c == '\\') {
        out.append('\\').append(c);
      } else {
        out.append(c);
      }
    }
    if (value.length() > limit) {
      out.append("…");
    }
    return out.append(quoteChar).toString();
  }

  /** Returns why an already trimmed and lower-cased host is invalid, or null when it is valid. */
  private static String problem(String value) {
    if (value.isEmpty()) {
      return "it is empty";
    }
    if (value.contains("://")) {
      return "give the host only, without a scheme such as https://";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        return "it contains whitespace or a control character";
      }
      if (c > 0x7e) {
        return "it contains a non-ASCII character; write internationalised names in punycode"
            + " (xn--…)";
      }
    }
    if (value.indexOf('/') >= 0) {
      return "give the host only, without a path";
    }
    if (value.indexOf('@') >= 0) {
      return "give the host only, without user information";
    }
    String name;
    String port = null;
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      if (close < 0) {
        return "an IPv6 address needs a closing ]";
      }
      String rest = value.substring(close + 1);
      if (!rest.isEmpty()) {
        if (rest.charAt(0) != ':') {
          return "only :port may follow an IPv6 address in brackets";
        }
        port = rest.substring(1);
      }
      String address = value.substring(1, close);
      if (!isIpv6(address)) {
        return quote(address) + " is not an IPv6 address";
      }
      name = null;
    } else {
      int colon = value.indexOf(':');
      if (colon >= 0) {
        if (value.indexOf(':', colon + 1) >= 0) {
          return "write an IPv6 address in brackets, such as [fd00::1]:5000";
        }
        name = value.substring(0, colon);
        port = value.substring(colon + 1);
      } else {
        name = value;
      }
    }
    if (port != null) {
      String portProblem = portProblem(port);
      if (portProblem != null) {
        return portProblem;
      }
    }
    return name == null ? null : nameProblem(name);
  }

  private static String portProblem(String port) {
    if (port.isEmpty()) {
      return "the port after ':' is empty";
    }
    if (port.length() > 5 || !isAllDigits(port)) {
      return "the port must be a number from 1 to 65535";
    }
    if (port.charAt(0) == '0') {
      return "the port must be a number from 1 to 65535, without leading zeros";
    }
    int number = Integer.parseInt(port);
    if (number > 65535) {
      return "the port must be a number from 1 to 65535";
    }
    return null;
  }

  private static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "the host name before the port is empty";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "a host name has at most " + MAX_NAME_LENGTH + " characters";
    }
    if (name.endsWith(".")) {
      return "remove the trailing dot";
    }
    String[] labels = name.split("\\.", -1);
    for (String label : labels) {
      if (label.isEmpty()) {
        return "it has an empty label (two dots in a row, or a leading dot)";
      }
      if (label.length() > MAX_LABEL_LENGTH) {
        return "a label has at most " + MAX_LABEL_LENGTH + " characters";
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) {
          return "'" + c + "' is not allowed; a host name has letters, digits, '-' and '.'";
        }
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        return "the label '" + label + "' starts or ends with '-'";
      }
    }
    String last = labels[labels.length - 1];
    if (isAllDigits(last)) {
      if (labels.length == 4 && isIpv4(labels)) {
        return null;
      }
      return "it looks like an IPv4 address but is not one (four numbers 0-255, no leading"
          + " zeros)";
    }
    return null;
  }

  // Loops, not streams with lambdas: the node helpers check a host on every call, and the first
  // lambda of a process starts the JVM's method-handle machinery.
  private static boolean isAllDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv4(String[] parts) {
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (!isAllDigits(part) || part.length() > 3) {
        return false;
      }
      if (part.length() > 1 && part.charAt(0) == '0') {
        return false;
      }
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  /** RFC 4291 text form: eight groups of 1-4 hex digits, one "::" allowed, IPv4 tail allowed. */
  static boolean isIpv6(String address) {
    if (address.isEmpty() || address.length() > 45) {
      return false;
    }
    int doubleColon = address.indexOf("::");
    if (doubleColon >= 0 && address.indexOf("::", doubleColon + 1) >= 0) {
      return false;
    }
    String head;
    String tail;
    if (doubleColon >= 0) {
      head = address.substring(0, doubleColon);
      tail = address.substring(doubleColon + 2);
    } else {
      head = address;
      tail = null;
    }
    int groups = 0;
    String[] headGroups = head.isEmpty() ? new String[0] : head.split(":", -1);
    String[] tailGroups = tail == null || tail.isEmpty() ? new String[0] : tail.split(":", -1);
    String[][] sides = {headGroups, tailGroups};
    for (int side = 0; side < 2; side++) {
      String[] parts = sides[side];
      for (int i = 0; i < parts.length; i++) {
        String part = parts[i];
        boolean lastOverall = (tail == null ? side == 0 : side == 1) && i == parts.length - 1;
        if (lastOverall && part.indexOf('.') >= 0) {
          if (!isIpv4(part.split("\\.", -1))) {
            return false;
          }
          groups += 2;
        } else if (isHexGroup(part)) {
          groups += 1;
        } else {
          return false;
        }
      }
    }
    return doubleColon >= 0 ? groups <= 7 : groups == 8;
  }

  private static boolean isHexGroup(String part) {
    if (part.isEmpty() || part.length() > 4) {
      return false;
    }
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      if (!hex) {
        return false;
      }
    }
    return true;
  }
}
