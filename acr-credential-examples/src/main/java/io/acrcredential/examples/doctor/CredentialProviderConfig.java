package io.acrcredential.examples.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The kubelet's {@code CredentialProviderConfig} (the file given to {@code
 * --image-credential-provider-config}), reduced to what decides whether a provider is asked for an
 * image: each provider's name and {@code matchImages}. Matching follows the kubelet: the ports must
 * be equal, the host must have as many dot-separated labels as the pattern and each label must
 * match its glob ({@code *} within one label), and the pattern's path must be a prefix of the
 * image's path.
 */
final class CredentialProviderConfig {

  static final long MAX_BYTES = 1 << 20;

  /**
   * One provider.
   *
   * @param name the plugin's name
   * @param matchImages its patterns
   */
  record Provider(String name, List<String> matchImages) {}

  private final List<Provider> providers;

  private CredentialProviderConfig(List<Provider> providers) {
    this.providers = List.copyOf(providers);
  }

  List<Provider> providers() {
    return providers;
  }

  /**
   * Reads a file (YAML or JSON), at most {@link #MAX_BYTES}; a regular file only.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static CredentialProviderConfig read(Path file) {
    try {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(file + " is not a regular file");
      }
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(file + " is larger than " + MAX_BYTES + " bytes");
      }
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static CredentialProviderConfig parse(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(10);
    options.setCodePointLimit((int) MAX_BYTES);
    Object doc;
    try {
      doc = new Yaml(new SafeConstructor(options)).load(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not valid YAML: " + Text.bounded(e.getMessage(), 200), e);
    }
    if (!(doc instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException("expected a CredentialProviderConfig mapping");
    }
    if (!"CredentialProviderConfig".equals(root.get("kind"))) {
      throw new IllegalArgumentException(
          "kind is "
              + Text.bounded(String.valueOf(root.get("kind")), 60)
              + ", expected CredentialProviderConfig");
    }
    List<Provider> out = new ArrayList<>();
    if (root.get("providers") instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> p) {
          List<String> patterns = new ArrayList<>();
          if (p.get("matchImages") instanceof List<?> m) {
            m.forEach(x -> patterns.add(String.valueOf(x)));
          }
          out.add(new Provider(String.valueOf(p.get("name")), patterns));
        }
      }
    }
    return new CredentialProviderConfig(out);
  }

  /** The first provider and pattern matching the image, as {@code name (pattern)}. */
  Optional<String> match(ImageReference image) {
    for (Provider p : providers) {
      for (String pattern : p.matchImages()) {
        if (matches(pattern, image)) {
          return Optional.of(p.name() + " (" + pattern + ")");
        }
      }
    }
    return Optional.empty();
  }

  /** Whether one {@code matchImages} pattern matches an image, as the kubelet decides. */
  static boolean matches(String pattern, ImageReference image) {
    String p = pattern.trim().toLowerCase(Locale.ROOT);
    int scheme = p.indexOf("://");
    if (scheme >= 0) {
      p = p.substring(scheme + 3);
    }
    int slash = p.indexOf('/');
    String patternHost = slash < 0 ? p : p.substring(0, slash);
    String patternPath = slash < 0 ? "" : p.substring(slash);
    String patternPort = "";
    int colon = patternHost.lastIndexOf(':');
    if (colon >= 0 && !patternHost.endsWith("]")) {
      patternPort = patternHost.substring(colon + 1);
      patternHost = patternHost.substring(0, colon);
    }
    if (!patternPort.equals(image.port().orElse(""))) {
      return false;
    }
    String[] globs = patternHost.split("\\.", -1);
    String[] labels = image.hostName().split("\\.", -1);
    if (globs.length != labels.length) {
      return false;
    }
    for (int i = 0; i < globs.length; i++) {
      if (!glob(globs[i]).matcher(labels[i]).matches()) {
        return false;
      }
    }
    return ("/" + image.repository()).startsWith(patternPath);
  }

  private static Pattern glob(String g) {
    StringBuilder re = new StringBuilder();
    for (char c : g.toCharArray()) {
      switch (c) {
        case '*' -> re.append("[^.]*");
        case '?' -> re.append("[^.]");
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }
}
