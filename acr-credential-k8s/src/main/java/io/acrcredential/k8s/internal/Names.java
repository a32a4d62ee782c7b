package io.acrcredential.k8s.internal;

import java.util.regex.Pattern;

/**
 * Syntax checks for the names and values this configuration holds. Each check returns {@code null}
 * when the value is fine, or a sentence explaining what a valid value looks like. Lengths are
 * checked before any regular expression runs, so huge inputs cost linear time.
 */
public final class Names {

  /** What a valid DNS-1123 label looks like, for messages. */
  public static final String DNS_LABEL_RULE =
      "expected a DNS-1123 label: at most 63 lower-case letters, digits or '-',"
          + " starting and ending with a letter or digit";

  /** What a valid DNS-1123 subdomain looks like, for messages. */
  public static final String DNS_SUBDOMAIN_RULE =
      "expected a DNS-1123 subdomain: at most 253 characters, lower-case letters, digits, '-' and"
          + " '.', each dot-separated part starting and ending with a letter or digit";

  /** What a valid registry host looks like, for messages. */
  public static final String HOST_RULE =
      "expected a registry host name with an optional port, like"
          + " my-registry.cn-hangzhou.cr.aliyuncs.com or registry.example.com:5000"
          + " (no scheme, no path)";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_NAME =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern EMAIL =
      Pattern.compile("[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
  private static final Pattern ROLE_ARN =
      Pattern.compile("acs:ram::[0-9]{1,32}:role/[A-Za-z0-9._@-]{1,64}");
  private static final Pattern OIDC_PROVIDER_ARN =
      Pattern.compile("acs:ram::[0-9]{1,32}:oidc-provider/[A-Za-z0-9._-]{1,128}");
  private static final Pattern ACCESS_KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private Names() {}

  /** Namespace names and other DNS-1123 labels. */
  public static String checkDnsLabel(String s) {
    if (s.length() > 63 || !DNS_LABEL.matcher(s).matches()) {
      return DNS_LABEL_RULE;
    }
    return null;
  }

  /** ServiceAccount and Secret names. */
  public static String checkDnsSubdomain(String s) {
    if (s.isEmpty() || s.length() > 253) {
      return DNS_SUBDOMAIN_RULE;
    }
    for (String part : s.split("\\.", -1)) {
      if (part.isEmpty() || part.length() > 63 || !DNS_LABEL.matcher(part).matches()) {
        return DNS_SUBDOMAIN_RULE;
      }
    }
    return null;
  }

  /** Registry hosts: DNS name (lower case), optional {@code :port}. */
  public static String checkHost(String s) {
    if (s.isEmpty() || s.length() > 260) {
      return HOST_RULE;
    }
    if (s.contains("://") || s.contains("/")) {
      return "remove the scheme and any path; " + HOST_RULE;
    }
    String host = s;
    int colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.substring(0, colon);
      String port = s.substring(colon + 1);
      if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
        return "the port must be a number from 1 to 65535; " + HOST_RULE;
      }
      int p = Integer.parseInt(port);
      if (p < 1 || p > 65535) {
        return "the port must be a number from 1 to 65535; " + HOST_RULE;
      }
    }
    if (host.length() > 253 || checkDnsSubdomain(host) != null) {
      return HOST_RULE;
    }
    return null;
  }

  /** Label keys: optional DNS-1123 subdomain prefix and '/', then a name of at most 63 chars. */
  public static String checkLabelKey(String s) {
    String rule =
        "expected a label key: an optional DNS subdomain prefix and '/', then at most 63 letters,"
            + " digits, '-', '_' or '.', starting and ending with a letter or digit";
    if (s.isEmpty() || s.length() > 317) {
      return rule;
    }
    int slash = s.indexOf('/');
    String name = s;
    if (slash >= 0) {
      String prefix = s.substring(0, slash);
      name = s.substring(slash + 1);
      if (checkDnsSubdomain(prefix) != null) {
        return rule;
      }
    }
    if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
      return rule;
    }
    return null;
  }

  /** Label values: empty, or at most 63 characters like a label name. */
  public static String checkLabelValue(String s) {
    if (s.isEmpty()) {
      return null;
    }
    if (s.length() > 63 || !LABEL_NAME.matcher(s).matches()) {
      return "expected a label value: empty, or at most 63 letters, digits, '-', '_' or '.',"
          + " starting and ending with a letter or digit";
    }
    return null;
  }

  /** A notification e-mail address. */
  public static String checkEmail(String s) {
    if (s.length() > 254 || !EMAIL.matcher(s).matches()) {
      return "expected one e-mail address such as ops@example.com";
    }
    return null;
  }

  /** A RAM role ARN ({@code acs:ram::<account>:role/<name>}). */
  public static String checkRoleArn(String s) {
    if (s.length() > 200 || !ROLE_ARN.matcher(s).matches()) {
      return "expected a RAM role ARN such as acs:ram::1234567890123456:role/my-role";
    }
    return null;
  }

  /** A RAM OIDC provider ARN. */
  public static String checkOidcProviderArn(String s) {
    if (s.length() > 250 || !OIDC_PROVIDER_ARN.matcher(s).matches()) {
      return "expected an OIDC provider ARN such as"
          + " acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1234";
    }
    return null;
  }

  /** AccessKey ids; never echoed, so the rule text does not quote the value. */
  public static String checkAccessKeyId(String s) {
    if (!ACCESS_KEY_ID.matcher(s).matches()) {
      return "expected an AccessKey id: 1 to 128 letters, digits, '.', '_' or '-'";
    }
    return null;
  }

  /** Glob patterns for excluded namespaces: a DNS-1123 label in which '*' stands for any run. */
  public static String checkNamespacePattern(String s) {
    if (!s.contains("*")) {
      return checkDnsLabel(s);
    }
    if (s.length() > 63 || !s.matches("[a-z0-9*-]+")) {
      return "expected a namespace name or a pattern of lower-case letters, digits, '-' and '*'"
          + " (e.g. kube-*), at most 63 characters";
    }
    return null;
  }

  /** Matches a namespace against a pattern where '*' matches any (possibly empty) run. */
  public static boolean globMatches(String pattern, String name) {
    // iterative wildcard match, linear in practice and never exponential
    int p = 0;
    int n = 0;
    int star = -1;
    int mark = 0;
    while (n < name.length()) {
      if (p < pattern.length() && pattern.charAt(p) == name.charAt(n)) {
        p++;
        n++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        mark = n;
      } else if (star >= 0) {
        p = star + 1;
        n = ++mark;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }
}
