package io.acrcredential.examples.doctor;

import java.util.Locale;
import java.util.Optional;

/**
 * An image reference split as the container runtimes split it: registry host, repository path and
 * tag or digest. A first path component without {@code .} or {@code :} that is not {@code
 * localhost} means Docker Hub.
 *
 * @param host the registry host, lower case, with its port if given
 * @param repository the repository path, e.g. {@code team/app}
 * @param reference the tag or digest ({@code latest} when neither is given)
 */
record ImageReference(String host, String repository, String reference) {

  static final int MAX_LENGTH = 4096;

  /**
   * Parses an image reference.
   *
   * @throws IllegalArgumentException when it is empty, too long or malformed
   */
  static ImageReference parse(String image) {
    if (image == null || image.isBlank() || image.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "invalid image reference: empty or longer than " + MAX_LENGTH + " characters");
    }
    String s = image.trim();
    if (s.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new IllegalArgumentException("invalid image reference: contains whitespace");
    }
    String host;
    String rest;
    int slash = s.indexOf('/');
    String first = slash < 0 ? "" : s.substring(0, slash);
    if (slash > 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
      host = first.toLowerCase(Locale.ROOT);
      rest = s.substring(slash + 1);
    } else {
      host = "docker.io";
      rest = slash < 0 ? "library/" + s : s;
    }
    String reference = "latest";
    int at = rest.indexOf('@');
    if (at >= 0) {
      reference = rest.substring(at + 1);
      rest = rest.substring(0, at);
    } else {
      int colon = rest.lastIndexOf(':');
      if (colon > rest.lastIndexOf('/')) {
        reference = rest.substring(colon + 1);
        rest = rest.substring(0, colon);
      }
    }
    if (rest.isEmpty()
        || reference.isEmpty()
        || !rest.matches("[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*")
        || !reference.matches("[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}")) {
      throw new IllegalArgumentException(
          "invalid image reference '" + Text.bounded(image, 200) + "': expected HOST/PATH[:TAG]");
    }
    return new ImageReference(host, rest, reference);
  }

  /** The host without its port. */
  String hostName() {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end > 0 ? host.substring(0, end + 1) : host;
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  /** The port written in the host, if any. */
  Optional<String> port() {
    String name = hostName();
    return host.length() > name.length() + 1
        ? Optional.of(host.substring(name.length() + 1))
        : Optional.empty();
  }

  @Override
  public String toString() {
    return host + "/" + repository + (reference.contains(":") ? "@" : ":") + reference;
  }
}
