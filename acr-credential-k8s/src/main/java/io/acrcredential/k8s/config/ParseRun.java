package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigKeys.*;

import io.acrcredential.k8s.internal.Echo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One parse of one ConfigMap: screens the keys, then runs each key group's parser ({@link
 * ScopeKeys}, {@link SimpleKeys}, {@link RegistryKeys}, reading YAML through {@link YamlFields}) so
 * that one key's failure never stops the others. Holds the problem list; used once.
 */
final class ParseRun {

  private final Map<String, String> data;
  private final Optional<String> clusterRegion;
  private final SecretScrubber scrubber;
  private final Problems problems;
  private final ScopeKeys scopes;
  private final SimpleKeys simple;
  private final RegistryKeys registries;

  ParseRun(Map<String, String> data, Optional<String> clusterRegion) {
    this.data = data;
    this.clusterRegion = clusterRegion;
    List<String> texts = new ArrayList<>(data.values());
    texts.addAll(data.keySet());
    this.scrubber = SecretScrubber.from(texts);
    this.problems = new Problems(scrubber::scrub);
    YamlFields yaml = new YamlFields(problems, scrubber);
    this.scopes = new ScopeKeys(problems, yaml);
    this.simple = new SimpleKeys(problems, yaml);
    this.registries = new RegistryKeys(problems, yaml, clusterRegion);
  }

  /** Quotes a value for a message, with any secret found in the ConfigMap redacted first. */
  private String echo(String value) {
    return Echo.quote(scrubber.scrub(value));
  }

  ConfigParseResult run() {
    Map<String, String> values = screenKeys();
    AcrConfiguration.Builder b = AcrConfiguration.builder();

    boolean rrsa = guard(RRSA, () -> simple.parseRrsa(values.get(RRSA)), false);
    guard(WATCH_NAMESPACE, () -> b.namespaces(scopes.parseNamespaces(values)), null);
    guard(SERVICE_ACCOUNT, () -> b.serviceAccounts(scopes.parseServiceAccounts(values)), null);
    guard(
        EXPIRING_THRESHOLD,
        () -> simple.parseThreshold(values.get(EXPIRING_THRESHOLD)).map(b::expiringThreshold),
        null);
    guard(ACR_API_VERSION, () -> simple.checkApiVersion(values.get(ACR_API_VERSION)), null);
    guard(
        NOTIFY_EMAIL,
        () -> b.notifyEmail(simple.parseEmail(values.get(NOTIFY_EMAIL)).orElse(null)),
        null);
    guard(
        WEBHOOK_CONFIGURATION,
        () -> b.webhook(simple.parseWebhook(values.get(WEBHOOK_CONFIGURATION))),
        null);
    guard(SECRET_LAYOUT, () -> b.secretLayout(simple.parseLayout(values)), null);
    guard(
        TAKE_OVER_ALIBABA_SECRETS,
        () ->
            simple
                .parseTakeOver(values.get(TAKE_OVER_ALIBABA_SECRETS))
                .map(b::takeOverAlibabaSecrets),
        null);
    guard(ACR_REGISTRY_INFO, () -> registries.parseRegistries(values, rrsa, b), null);

    AcrConfiguration config;
    try {
      config = b.build();
    } catch (RuntimeException e) {
      problems.error(
          "(all)",
          "(all)",
          "internal error combining the configuration (" + e.getClass().getSimpleName() + ")");
      config = AcrConfiguration.builder().build();
    }
    return new ConfigParseResult(config, problems.result());
  }

  /** Runs one key's parser; an unexpected exception becomes an error instead of escaping. */
  private <T> T guard(String key, java.util.function.Supplier<T> step, T fallback) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      problems.error(
          key,
          key,
          "could not be parsed (internal error: "
              + e.getClass().getSimpleName()
              + "); please report this with the key's value");
      return fallback;
    }
  }

  // ---------------------------------------------------------------- keys, sizes, typos

  /** Drops oversized values, reports unknown keys, turns nulls into empty strings. */
  private Map<String, String> screenKeys() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : data.entrySet()) {
      String key = e.getKey();
      String value = e.getValue() == null ? "" : e.getValue();
      if (key == null || !KNOWN_KEYS.contains(key)) {
        String shown = key == null ? "(null)" : echo(key);
        String plain = key == null ? "(null)" : shown.substring(1, shown.lastIndexOf('\''));
        String suggestion = key == null ? null : Typos.closest(key.strip(), KNOWN_KEYS);
        problems.warn(
            plain,
            plain,
            "unknown key "
                + shown
                + " is ignored; "
                + (suggestion != null
                    ? "did you mean '" + suggestion + "'?"
                    : "known keys are " + String.join(", ", KNOWN_KEYS)));
        continue;
      }
      if (!key.equals(ACR_REGISTRY_INFO) && scrubber.containsSecret(value)) {
        problems.error(
            key,
            key,
            "the value contains what looks like an AccessKey secret (customAccessKeySecret); it is"
                + " not shown and the key is ignored. Secrets belong in acr-registry-info only");
        out.put(key, null); // present but rejected
        continue;
      }
      if (value.length() > MAX_VALUE_CHARS) {
        problems.error(
            key,
            key,
            "value is "
                + value.length()
                + " characters long; at most "
                + MAX_VALUE_CHARS
                + " are allowed, the key is ignored");
        out.put(key, null); // present but rejected
        continue;
      }
      out.put(key, value);
    }
    return out;
  }

  static boolean present(Map<String, String> values, String key) {
    return values.containsKey(key);
  }

  static boolean usable(String value) {
    return value != null && !value.isBlank();
  }
}
