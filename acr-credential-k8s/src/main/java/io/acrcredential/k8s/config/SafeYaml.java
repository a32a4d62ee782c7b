package io.acrcredential.k8s.config;

import java.io.StringReader;
import java.util.Locale;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Reads the YAML blocks of the ConfigMap into a node tree, never into Java objects.
 *
 * <p>Composing stops at nodes: no constructor runs, so no tag can instantiate a class. The loader
 * is still built with {@link SafeConstructor} (defence in depth, should anyone call {@code load})
 * and with limits: few aliases to collections (alias bombs), a shallow nesting limit, a code point
 * limit, no global tags. The parser then walks only the shapes it expects, so a self-referencing
 * alias cannot make it loop.
 *
 * <p>Error messages give the line and column and snakeyaml's short problem text, never the document
 * snippet snakeyaml would print (it could show a secret on that line).
 */
final class SafeYaml {

  /** Most aliases that may point at a list or map (a bomb needs many). */
  static final int MAX_COLLECTION_ALIASES = 10;

  /** Deepest nesting of lists and maps. The expected shapes need 3 levels. */
  static final int MAX_NESTING = 16;

  private SafeYaml() {}

  /**
   * Composes one YAML document.
   *
   * @param text the document, already size-checked by the caller
   * @return the root node, or null for an empty document
   * @throws IllegalArgumentException with a message fit for a {@link ConfigProblem}
   */
  static Node compose(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(MAX_NESTING);
    options.setCodePointLimit(AcrConfigParser.MAX_VALUE_CHARS + 16);
    options.setTagInspector(tag -> false);
    options.setMergeOnCompose(false);
    options.setProcessComments(false);
    DumperOptions dumper = new DumperOptions();
    Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options);
    try {
      return yaml.compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String where =
          mark == null
              ? ""
              : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
      String problem = shortProblem(e.getProblem());
      if (e.getContext() != null) {
        problem = shortProblem(e.getContext()) + ", " + problem;
      }
      if (problem.toLowerCase(Locale.ROOT).contains("tag")) {
        problem += " (YAML tags naming Java classes or other global tags are refused)";
      }
      throw new IllegalArgumentException("invalid YAML" + where + ": " + problem);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(describeLimit(e.getMessage()));
    } catch (RuntimeException | StackOverflowError e) {
      // snakeyaml should not throw anything else; never let it escape as a stack trace
      throw new IllegalArgumentException("invalid YAML (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static String describeLimit(String message) {
    String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
    if (m.contains("aliases")) {
      return "too many YAML aliases to lists or maps (at most "
          + MAX_COLLECTION_ALIASES
          + "); anchors and '*' references that multiply content (an alias bomb) are refused";
    }
    if (m.contains("nesting depth")) {
      return "YAML nested too deeply (at most " + MAX_NESTING + " levels)";
    }
    if (m.contains("code points") || m.contains("exceeds the limit")) {
      return "YAML document too large (at most " + AcrConfigParser.MAX_VALUE_CHARS + " characters)";
    }
    if (m.contains("tag")) {
      return "YAML tags that name Java classes or other global tags are not allowed";
    }
    return "invalid YAML: " + shortProblem(message);
  }

  /**
   * snakeyaml's problem text without anything that could be a piece of a value: quoted parts longer
   * than a few characters are elided and the text is shortened.
   */
  static String shortProblem(String problem) {
    if (problem == null) {
      return "syntax error";
    }
    String p = problem.length() > 2000 ? problem.substring(0, 2000) : problem;
    // tag handles and suffixes, anchor and alias names ("!a!", "&x", "*x") are pieces of the
    // document, however short: an unquoted secret starting with one of these characters is one
    p = p.replaceAll("(^|[\\s(])[!&*][^\\s,()]*", "$1…");
    // anchor, alias and tag names are pieces of the document (an unquoted value starting with '*',
    // '&' or '!' becomes one), so they are never shown
    if (p.startsWith("found undefined alias") || p.startsWith("found an alias")) {
      p =
          "found an alias ('*' reference) to an undefined anchor (quote values that start with '*')";
    }
    p = p.replaceAll("'[^']{5,}'", "'…'").replaceAll("\"[^\"]{5,}\"", "\"…\"");
    // long tokens are never snakeyaml's own words but could be a value
    p = p.replaceAll("\\S{21,}", "…");
    int colon = p.indexOf(": ");
    if (colon > 0) {
      p = p.substring(0, colon);
    }
    p = p.replaceAll("\\s+", " ").strip();
    if (p.length() > 120) {
      p = p.substring(0, 120) + "…";
    }
    StringBuilder sb = new StringBuilder();
    for (char c : p.toCharArray()) {
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    return sb.toString();
  }
}
