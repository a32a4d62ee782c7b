package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigKeys.*;

import io.acrcredential.k8s.internal.Echo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The YAML field reader of one parse: composes a value safely and reads mappings, strings,
 * booleans, whole numbers and comma lists from it, reporting each problem by key and location
 * without ever echoing a secret.
 */
final class YamlFields {

  private final Problems problems;
  private final SecretScrubber scrubber;

  YamlFields(Problems problems, SecretScrubber scrubber) {
    this.problems = problems;
    this.scrubber = scrubber;
  }

  /** Quotes a value for a message, with any secret found in the ConfigMap redacted first. */
  String echo(String value) {
    return Echo.quote(scrubber.scrub(value));
  }

  Node compose(String key, String text) {
    try {
      return SafeYaml.compose(text);
    } catch (IllegalArgumentException e) {
      problems.error(key, key, e.getMessage());
      return null;
    }
  }

  /**
   * Reads a mapping with string keys; reports duplicate and unknown fields. Returns null (after
   * reporting) when the node is not a mapping.
   */
  Map<String, Node> readMapping(String key, String loc, Node node, List<String> knownFields) {
    if (!(node instanceof MappingNode m) || !Tag.MAP.equals(node.getTag())) {
      problems.error(
          key,
          loc,
          "expected a YAML mapping with the fields "
              + String.join(", ", knownFields)
              + "; got "
              + describe(node));
      return null;
    }
    Map<String, Node> fields = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      Node k = t.getKeyNode();
      if (!(k instanceof ScalarNode ks) || !Tag.STR.equals(k.getTag())) {
        problems.error(key, loc, "field names must be plain strings; got " + describe(k));
        continue;
      }
      String name = ks.getValue();
      if (fields.containsKey(name)) {
        problems.error(key, loc + "." + plain(name), "the field is given more than once; keep one");
        continue;
      }
      if (!knownFields.contains(name)) {
        String s = Typos.closest(name, knownFields);
        if (looksLikeIdentityField(name, s)) {
          // Ignoring it would silently use another identity (the ambient one) for this registry.
          problems.error(
              key,
              loc + "." + plain(name),
              "unknown field "
                  + echo(name)
                  + " looks like it carries a credential or identity, so it is an error rather"
                  + " than ignored; "
                  + (s != null
                      ? "did you mean '" + s + "'?"
                      : "known fields are " + String.join(", ", knownFields)));
          continue;
        }
        problems.warn(
            key,
            loc + "." + plain(name),
            "unknown field "
                + echo(name)
                + " is ignored; "
                + (s != null
                    ? "did you mean '" + s + "'?"
                    : "known fields are " + String.join(", ", knownFields)));
        continue;
      }
      fields.put(name, t.getValueNode());
    }
    return fields;
  }

  /** Field names whose misspelling must not fall back silently to another identity. */
  private static final Set<String> IDENTITY_FIELDS =
      Set.of(
          RegistryKeys.FIELD_ACCESS_KEY,
          RegistryKeys.FIELD_ACCESS_KEY_SECRET,
          RegistryKeys.FIELD_ASSUME_ROLE_ARN,
          RegistryKeys.FIELD_RRSA_ROLE_ARN,
          RegistryKeys.FIELD_RRSA_OIDC_ARN);

  private static final Pattern SECRET_WORDS =
      Pattern.compile("(?i).*(secret|password|passwd|token|accesskey|access_key|credential).*");

  /** An unknown field that is near an identity field, or named like one that holds a secret. */
  static boolean looksLikeIdentityField(String name, String suggestion) {
    return (suggestion != null && IDENTITY_FIELDS.contains(suggestion))
        || (name.length() <= 100 && SECRET_WORDS.matcher(name).matches());
  }

  /**
   * Reads a scalar string. YAML null gives "". Returns null after reporting when the node is not a
   * string. With {@code secret} the value never appears in a message.
   */
  String readString(String key, String loc, Node node, boolean secret) {
    if (node instanceof ScalarNode s) {
      Tag tag = node.getTag();
      if (Tag.STR.equals(tag)) {
        return s.getValue();
      }
      if (Tag.NULL.equals(tag)) {
        return "";
      }
      if (Tag.INT.equals(tag)
          || Tag.FLOAT.equals(tag)
          || Tag.BOOL.equals(tag)
          || Tag.TIMESTAMP.equals(tag)) {
        problems.error(
            key,
            loc,
            "expected a string, got "
                + describe(node)
                + (secret ? " (value not shown)" : " " + echo(s.getValue()))
                + "; put the value in double quotes");
        return null;
      }
    }
    problems.error(key, loc, "expected a string, got " + describe(node));
    return null;
  }

  /** A string field of a mapping; null when absent or invalid (invalid ones are reported). */
  String optionalString(String key, String loc, Map<String, Node> fields, String field) {
    Node n = fields.get(field);
    return n == null ? null : readString(key, loc + "." + field, n, false);
  }

  /** Like {@link #optionalString}, for a field whose value is never echoed. */
  String optionalSecret(String key, String loc, Map<String, Node> fields, String field) {
    Node n = fields.get(field);
    return n == null ? null : readString(key, loc + "." + field, n, true);
  }

  Optional<Boolean> readBoolean(String key, String loc, Node node) {
    if (node instanceof ScalarNode s
        && (Tag.BOOL.equals(node.getTag()) || Tag.STR.equals(node.getTag()))) {
      Optional<Boolean> b = parseBooleanText(s.getValue().strip());
      if (b.isPresent()) {
        return b;
      }
      problems.error(key, loc, echo(s.getValue()) + " is not a boolean; expected true or false");
      return Optional.empty();
    }
    problems.error(key, loc, "expected true or false, got " + describe(node));
    return Optional.empty();
  }

  static Optional<Boolean> parseBooleanText(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> Optional.of(true);
      case "false", "no", "off" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  Optional<Long> readInteger(String key, String loc, Node node) {
    if (node instanceof ScalarNode s
        && (Tag.INT.equals(node.getTag()) || Tag.STR.equals(node.getTag()))) {
      String v = s.getValue().strip().replace("_", "");
      if (v.matches("[+]?[0-9]{1,12}")) {
        return Optional.of(Long.parseLong(v.startsWith("+") ? v.substring(1) : v));
      }
      problems.error(key, loc, echo(s.getValue()) + " is not a whole number of seconds");
      return Optional.empty();
    }
    problems.error(key, loc, "expected a whole number, got " + describe(node));
    return Optional.empty();
  }

  /** A short description of a node's kind, never its content. */
  static String describe(Node node) {
    if (node == null) {
      return "nothing";
    }
    Tag tag = node.getTag();
    if (!Tag.standardTags.contains(tag)
        || Tag.SET.equals(tag)
        || Tag.OMAP.equals(tag)
        || Tag.PAIRS.equals(tag)
        || Tag.BINARY.equals(tag)) {
      // the tag text is not shown: an unquoted value starting with '!' becomes a tag, and that
      // value could be a secret
      return "a value with a YAML tag (tags such as !name or !!type are not allowed; quote values"
          + " that start with '!')";
    }
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    if (Tag.INT.equals(tag) || Tag.FLOAT.equals(tag)) {
      return "a number";
    }
    if (Tag.BOOL.equals(tag)) {
      return "a boolean";
    }
    if (Tag.TIMESTAMP.equals(tag)) {
      return "a date";
    }
    if (Tag.NULL.equals(tag)) {
      return "an empty value";
    }
    return "a string";
  }

  String plain(String name) {
    String q = echo(name);
    return q.substring(1, q.lastIndexOf('\''));
  }

  /** Splits a comma-separated list, trimming items and skipping empty ones. */
  List<String> splitList(String key, String value, int max) {
    List<String> out = new ArrayList<>();
    int start = 0;
    int len = value.length();
    for (int i = 0; i <= len; i++) {
      if (i == len || value.charAt(i) == ',') {
        String item = value.substring(start, i).strip();
        start = i + 1;
        if (item.isEmpty()) {
          continue;
        }
        if (out.size() >= max) {
          problems.error(key, key, "lists more than " + max + " items; the rest are ignored");
          break;
        }
        out.add(item);
      }
    }
    return out;
  }
}
