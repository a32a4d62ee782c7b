package io.acrcredential.k8s.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secret values out of messages even when the ConfigMap is broken or a block was pasted under
 * the wrong key. It collects what follows every {@code …secret…:} in the raw data (the
 * customAccessKeySecret in any form: quoted, unquoted, mangled into a tag or alias) and replaces
 * those strings in any text that is about to be shown.
 */
final class SecretScrubber {

  static final String REDACTED = "<redacted>";

  /** Shorter fragments are not treated as secrets (they would blank out ordinary words). */
  private static final int MIN_LENGTH = 6;

  /** Pieces split out of a mangled value must be at least this long (AccessKey secrets are 30). */
  private static final int MIN_TOKEN_LENGTH = 12;

  private static final int MAX_CANDIDATES = 100;

  private static final Pattern SECRET_LINE =
      Pattern.compile("(?i)secret[a-z0-9_-]{0,40}[\"']?[ \\t]*[:=][ \\t]*([^\\r\\n]{1,1024})");

  private static final String DELIMITERS = "[\\s\"',{}\\[\\]<>!&*|%@`#]+";

  private final List<String> candidates;

  private SecretScrubber(List<String> candidates) {
    this.candidates = candidates;
  }

  static SecretScrubber from(Collection<String> texts) {
    Set<String> found = new LinkedHashSet<>();
    for (String text : texts) {
      if (text == null || text.length() > AcrConfigParser.MAX_VALUE_CHARS) {
        continue;
      }
      Matcher m = SECRET_LINE.matcher(text);
      while (m.find() && found.size() < MAX_CANDIDATES) {
        // a YAML comment after the value is not part of it
        String rest = m.group(1).replaceAll("\\s#.*$", "").strip();
        String core = rest.replaceAll("^" + DELIMITERS, "").replaceAll(DELIMITERS + "$", "");
        add(found, rest, MIN_LENGTH);
        add(found, core, MIN_LENGTH);
        // pieces of a mangled value (e.g. !<secret> x); only long ones, to spare ordinary words
        for (String token : rest.split(DELIMITERS)) {
          add(found, token, MIN_TOKEN_LENGTH);
        }
      }
    }
    List<String> list = new ArrayList<>(found);
    list.sort(Comparator.comparingInt(String::length).reversed());
    return new SecretScrubber(List.copyOf(list));
  }

  private static void add(Set<String> found, String s, int minLength) {
    if (s.length() >= minLength && found.size() < MAX_CANDIDATES) {
      found.add(s);
    }
  }

  /** Whether the text holds a collected secret. */
  boolean containsSecret(String text) {
    if (text == null) {
      return false;
    }
    for (String c : candidates) {
      if (text.contains(c)) {
        return true;
      }
    }
    return false;
  }

  /** The text with every collected secret replaced by {@value #REDACTED}. */
  String scrub(String text) {
    if (text == null || candidates.isEmpty()) {
      return text;
    }
    String out = text;
    for (String c : candidates) {
      if (out.contains(c)) {
        out = out.replace(c, REDACTED);
      }
    }
    return out;
  }
}
