package io.acrcredential.kube.testing;

import java.util.regex.Pattern;

/** Argument checks shared by the public test fixtures: each failure names the argument and rule. */
final class Names {

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  static final Pattern DNS_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private Names() {}

  static void requireText(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be null or blank");
    }
  }

  /** A DNS label of at most 50 characters (room for a generated suffix). */
  static void requireDnsLabel(String what, String value) {
    requireText(what, value);
    if (value.length() > 50 || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + " '"
              + value
              + "' must be a DNS label of at most 50 characters: lower-case letters, digits and '-'");
    }
  }

  /** A positive duration; returns it. */
  static java.time.Duration requirePositive(String what, java.time.Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + value);
    }
    return value;
  }

  /** A host name, optionally with {@code :port}. */
  static void requireHost(String host) {
    if (host == null) {
      throw new IllegalArgumentException("host must not be null");
    }
    String bare = host.replaceFirst(":[0-9]{1,5}$", "");
    if (bare.length() > 253 || !DNS_NAME.matcher(bare).matches()) {
      throw new IllegalArgumentException("'" + host + "' is not a host name");
    }
  }
}
