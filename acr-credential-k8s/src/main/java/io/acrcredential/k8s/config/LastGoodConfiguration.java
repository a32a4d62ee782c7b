package io.acrcredential.k8s.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Parses successive versions of the {@code acr-configuration} ConfigMap and keeps the last good
 * value of every key a new version makes invalid (or drops the key when it had none), so that one
 * bad edit never takes a working registry or scope away. What every embedder that follows the
 * ConfigMap needs; not thread-safe (call it from one thread or under a lock).
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
   * @param result the configuration to use (with the previous values of invalid keys when a
   *     previous version exists) and this version's problems
   * @param keptPrevious whether invalid keys took their previous values rather than the defaults
   */
  public record Applied(ConfigParseResult result, boolean keptPrevious) {

    /**
     * Validates.
     *
     * @param result the configuration to use and this version's problems
     * @param keptPrevious whether invalid keys took their previous values
     */
    public Applied {
      Objects.requireNonNull(result, "result");
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
    boolean kept = false;
    if (!parsed.invalidKeys().isEmpty() && lastGood != null) {
      kept = true;
      Map<String, String> merged = new LinkedHashMap<>(data);
      for (String key : parsed.invalidKeys()) {
        String previous = lastGood.get(key);
        if (previous != null) {
          merged.put(key, previous);
        } else {
          merged.remove(key);
        }
      }
      accepted = merged;
      ConfigParseResult reparsed = parser.parse(merged);
      if (!reparsed.hasErrors()) {
        parsed = new ConfigParseResult(reparsed.config(), parsed.problems());
      }
    }
    lastGood = accepted;
    return new Applied(parsed, kept);
  }
}
