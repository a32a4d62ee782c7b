package io.acrcredential.k8s.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Parses successive versions of the {@code acr-configuration} ConfigMap and keeps the last good
 * value of every key a new version makes invalid (or drops the key when it had none), so that one
 * bad edit never takes a working registry or scope away; {@link Applied#errorLines()} says for each
 * error which value is used instead. What every embedder that follows the ConfigMap needs; not
 * thread-safe (call it from one thread or under a lock).
 */
public final class LastGoodConfiguration {

  private final AcrConfigParser parser;
  private Map<String, String> lastGood; // null before the first version

  /**
   * Starts with no previous version: the first invalid keys fall back to their defaults.
   *
   * @param parser the parser for every version
   */
  public LastGoodConfiguration(AcrConfigParser parser) {
    this.parser = Objects.requireNonNull(parser, "parser");
  }

  /**
   * What one version gave.
   *
   * @param result the configuration to use (with the previous values of the invalid keys in {@code
   *     keptKeys}, the defaults for the others) and this version's problems
   * @param keptKeys the invalid keys that took their value from the previous version
   */
  public record Applied(ConfigParseResult result, Set<String> keptKeys) {

    /**
     * Validates and copies.
     *
     * @param result the configuration to use and this version's problems
     * @param keptKeys the invalid keys that took their previous value
     * @throws NullPointerException naming a missing value
     */
    public Applied {
      Objects.requireNonNull(result, "result");
      keptKeys =
          Collections.unmodifiableSet(
              new LinkedHashSet<>(Objects.requireNonNull(keptKeys, "keptKeys")));
    }

    /**
     * Whether any invalid key took its previous value rather than the default.
     *
     * @return true when {@link #keptKeys()} is not empty
     */
    public boolean keptPrevious() {
      return !keptKeys.isEmpty();
    }

    /**
     * This version's errors, one log-safe line each, saying what is used instead: {@code ...
     * (keeping the previous value of 'key')} or {@code ... (using the default)}.
     *
     * @return the lines, in the order found; empty when the version is valid
     */
    public List<String> errorLines() {
      List<String> lines = new ArrayList<>();
      for (ConfigProblem p : result.errors()) {
        lines.add(
            p
                + (keptKeys.contains(p.key())
                    ? " (keeping the previous value of '" + p.key() + "')"
                    : " (using the default)"));
      }
      return List.copyOf(lines);
    }
  }

  /**
   * Parses a new version; its data becomes the "last good" one, with the previous values of its
   * invalid keys merged in.
   *
   * @param data the ConfigMap's data
   * @return the configuration to use and this version's problems
   */
  public Applied apply(Map<String, String> data) {
    Objects.requireNonNull(data, "data");
    ConfigParseResult parsed = parser.parse(data);
    Map<String, String> accepted = new LinkedHashMap<>(data);
    Set<String> kept = new LinkedHashSet<>();
    if (!parsed.invalidKeys().isEmpty() && lastGood != null) {
      Map<String, String> merged = new LinkedHashMap<>(data);
      Set<String> restored = new LinkedHashSet<>();
      for (String key : parsed.invalidKeys()) {
        String previous = lastGood.get(key);
        if (previous != null) {
          merged.put(key, previous);
          restored.add(key);
        } else {
          merged.remove(key);
        }
      }
      accepted = merged;
      ConfigParseResult reparsed = parser.parse(merged);
      if (!reparsed.hasErrors()) {
        parsed = new ConfigParseResult(reparsed.config(), parsed.problems());
        kept = restored;
      }
    }
    lastGood = accepted;
    return new Applied(parsed, kept);
  }
}
