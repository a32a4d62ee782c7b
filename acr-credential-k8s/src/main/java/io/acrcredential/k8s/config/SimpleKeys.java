package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigKeys.*;

import io.acrcredential.k8s.internal.Names;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The single-value keys (threshold, API version, e-mail, Secret layout) and the small YAML blocks
 * ({@code rrsa}, {@code webhook-configuration}).
 */
final class SimpleKeys {

  private final Problems problems;
  private final YamlFields yaml;

  SimpleKeys(Problems problems, YamlFields yaml) {
    this.problems = problems;
    this.yaml = yaml;
  }

  Optional<Duration> parseThreshold(String value) {
    if (!ParseRun.usable(value)) {
      if (value != null) {
        problems.warn(EXPIRING_THRESHOLD, EXPIRING_THRESHOLD, "is empty; using the default 15m");
      }
      return Optional.empty();
    }
    String v = value.strip();
    Duration d;
    try {
      d = GoDuration.parse(v);
    } catch (IllegalArgumentException e) {
      problems.error(
          EXPIRING_THRESHOLD,
          EXPIRING_THRESHOLD,
          yaml.echo(v) + " is not a duration: " + e.getMessage());
      return Optional.empty();
    }
    if (d.isNegative() || d.isZero() || d.compareTo(AcrConfiguration.MAX_EXPIRING_THRESHOLD) >= 0) {
      problems.error(
          EXPIRING_THRESHOLD,
          EXPIRING_THRESHOLD,
          yaml.echo(v)
              + " is out of range; expected more than 0s and less than 1h (tokens live at most one"
              + " hour), e.g. 15m");
      return Optional.empty();
    }
    return Optional.of(d);
  }

  Void checkApiVersion(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.strip();
    if (!v.equals(AcrConfiguration.ACR_API_VERSION)) {
      problems.warn(
          ACR_API_VERSION,
          ACR_API_VERSION,
          yaml.echo(v)
              + " is not supported and is ignored; the only accepted value is 2018-12-01 (the"
              + " default). Tokens are fetched with 2016-06-07 for Personal Edition and 2018-12-01"
              + " for Enterprise Edition regardless");
    }
    return null;
  }

  Optional<String> parseEmail(String value) {
    if (!ParseRun.usable(value)) {
      return Optional.empty();
    }
    String v = value.strip();
    String p = Names.checkEmail(v);
    if (p != null) {
      problems.error(NOTIFY_EMAIL, NOTIFY_EMAIL, yaml.echo(v) + " is not an e-mail address; " + p);
      return Optional.empty();
    }
    return Optional.of(v);
  }

  Optional<Boolean> parseTakeOver(String value) {
    if (!ParseRun.usable(value)) {
      return Optional.empty();
    }
    Optional<Boolean> b = YamlFields.parseBooleanText(value.strip());
    if (b.isEmpty()) {
      problems.error(
          TAKE_OVER_ALIBABA_SECRETS,
          TAKE_OVER_ALIBABA_SECRETS,
          yaml.echo(value.strip())
              + " is not a boolean; expected true (default: Secrets Alibaba's helper wrote are"
              + " taken over) or false (they stay clashes, never written)");
    }
    return b;
  }

  SecretLayout parseLayout(Map<String, String> values) {
    String layout = values.get(SECRET_LAYOUT);
    String name = values.get(SECRET_NAME);
    SecretLayout.Kind kind = SecretLayout.Kind.PER_DOMAIN;
    if (ParseRun.usable(layout)) {
      String v = layout.strip().toLowerCase(Locale.ROOT);
      switch (v) {
        case "per-domain" -> kind = SecretLayout.Kind.PER_DOMAIN;
        case "combined" -> kind = SecretLayout.Kind.COMBINED;
        default ->
            problems.error(
                SECRET_LAYOUT,
                SECRET_LAYOUT,
                yaml.echo(layout.strip())
                    + " is not a layout; expected per-domain (default, one Secret per domain named"
                    + " acr-credential-<md5 of the domain>) or combined (one Secret, see secret-name)");
      }
    }
    String combinedName = SecretLayout.DEFAULT_COMBINED_NAME;
    if (ParseRun.usable(name)) {
      String v = name.strip();
      String p = Names.checkDnsSubdomain(v);
      if (p != null) {
        problems.error(
            SECRET_NAME, SECRET_NAME, yaml.echo(v) + " is not a valid Secret name; " + p);
      } else if (v.matches("acr-credential-[0-9a-f]{32}")) {
        problems.error(
            SECRET_NAME,
            SECRET_NAME,
            yaml.echo(v)
                + " looks like a per-domain Secret name (acr-credential-<md5>); choose another name");
      } else {
        combinedName = v;
      }
      if (kind != SecretLayout.Kind.COMBINED) {
        problems.warn(SECRET_NAME, SECRET_NAME, "is ignored unless secret-layout is combined");
      }
    }
    return new SecretLayout(kind, combinedName);
  }

  boolean parseRrsa(String value) {
    if (!ParseRun.usable(value)) {
      return false;
    }
    Node root = yaml.compose(RRSA, value);
    if (root == null) {
      return false;
    }
    if (root instanceof ScalarNode) {
      Optional<Boolean> b = yaml.readBoolean(RRSA, RRSA, root);
      return b.orElse(false);
    }
    Map<String, Node> fields = yaml.readMapping(RRSA, RRSA, root, List.of("enable"));
    if (fields == null) {
      return false;
    }
    Node enable = fields.get("enable");
    if (enable == null) {
      problems.warn(RRSA, RRSA, "has no 'enable' field; RRSA stays off (write 'enable: true')");
      return false;
    }
    return yaml.readBoolean(RRSA, RRSA + ".enable", enable).orElse(false);
  }

  WebhookSettings parseWebhook(String value) {
    WebhookSettings defaults = WebhookSettings.defaults();
    if (!ParseRun.usable(value)) {
      return defaults;
    }
    String key = WEBHOOK_CONFIGURATION;
    Node root = yaml.compose(key, value);
    if (root == null) {
      return defaults;
    }
    Map<String, Node> fields =
        yaml.readMapping(key, key, root, List.of("enable", "failure-policy", "timeout-seconds"));
    if (fields == null) {
      return defaults;
    }
    boolean enabled = defaults.enabled();
    WebhookSettings.FailurePolicy policy = defaults.failurePolicy();
    int timeout = defaults.timeoutSeconds();
    if (fields.containsKey("enable")) {
      enabled = yaml.readBoolean(key, key + ".enable", fields.get("enable")).orElse(enabled);
    }
    if (fields.containsKey("failure-policy")) {
      String loc = key + ".failure-policy";
      String p = yaml.readString(key, loc, fields.get("failure-policy"), false);
      if (p != null && !p.isBlank()) {
        switch (p.strip().toLowerCase(Locale.ROOT)) {
          case "ignore" -> policy = WebhookSettings.FailurePolicy.IGNORE;
          case "fail" -> policy = WebhookSettings.FailurePolicy.FAIL;
          default ->
              problems.error(
                  key,
                  loc,
                  yaml.echo(p.strip()) + " is not a failure policy; expected Ignore or Fail");
        }
      }
    }
    if (fields.containsKey("timeout-seconds")) {
      String loc = key + ".timeout-seconds";
      Optional<Long> t = yaml.readInteger(key, loc, fields.get("timeout-seconds"));
      if (t.isPresent()) {
        if (t.get() < 1 || t.get() > 30) {
          problems.error(key, loc, t.get() + " is out of range; expected 1 to 30 seconds");
        } else {
          timeout = t.get().intValue();
        }
      }
    }
    // No warning for enable: true: whether the Pod webhook is served is the embedder's business
    // (acr-credential sync serves it with a certificate of its own), and Alibaba's template sets
    // it.
    return new WebhookSettings(enabled, policy, timeout);
  }
}
