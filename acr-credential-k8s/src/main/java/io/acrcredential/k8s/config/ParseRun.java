package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.AcrConfigParser.ACR_API_VERSION;
import static io.acrcredential.k8s.config.AcrConfigParser.ACR_REGISTRY;
import static io.acrcredential.k8s.config.AcrConfigParser.ACR_REGISTRY_INFO;
import static io.acrcredential.k8s.config.AcrConfigParser.EXCLUDE_NAMESPACE;
import static io.acrcredential.k8s.config.AcrConfigParser.EXPIRING_THRESHOLD;
import static io.acrcredential.k8s.config.AcrConfigParser.KNOWN_KEYS;
import static io.acrcredential.k8s.config.AcrConfigParser.MAX_REGISTRIES;
import static io.acrcredential.k8s.config.AcrConfigParser.MAX_VALUE_CHARS;
import static io.acrcredential.k8s.config.AcrConfigParser.NOTIFY_EMAIL;
import static io.acrcredential.k8s.config.AcrConfigParser.PATCH_SERVICE_ACCOUNTS;
import static io.acrcredential.k8s.config.AcrConfigParser.RRSA;
import static io.acrcredential.k8s.config.AcrConfigParser.SECRET_LAYOUT;
import static io.acrcredential.k8s.config.AcrConfigParser.SECRET_NAME;
import static io.acrcredential.k8s.config.AcrConfigParser.SERVICE_ACCOUNT;
import static io.acrcredential.k8s.config.AcrConfigParser.WATCH_NAMESPACE;
import static io.acrcredential.k8s.config.AcrConfigParser.WATCH_NAMESPACE_SELECTOR;
import static io.acrcredential.k8s.config.AcrConfigParser.WEBHOOK_CONFIGURATION;

import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.internal.Echo;
import io.acrcredential.k8s.internal.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** One parse of one ConfigMap; holds the problem list. Not thread-safe, used once. */
final class ParseRun {

  static final int MAX_NAMESPACES = 10_000;
  static final int MAX_SERVICE_ACCOUNTS = 1_000;
  static final int MAX_EXCLUSIONS = 1_000;
  static final int MAX_DOMAINS_PER_REGISTRY = 50;

  static final String FIELD_INSTANCE_ID = "instanceId";
  static final String FIELD_REGION_ID = "regionId";
  static final String FIELD_DOMAINS = "domains";
  static final String FIELD_ASSUME_ROLE_ARN = "assumeRoleARN";
  static final String FIELD_EXPIRE_DURATION = "expireDuration";
  static final String FIELD_RRSA_ROLE_ARN = "rrsaRoleARN";
  static final String FIELD_RRSA_OIDC_ARN = "rrsaOIDCProviderRoleARN";
  static final String FIELD_ACCESS_KEY = "customAccessKey";
  static final String FIELD_ACCESS_KEY_SECRET = "customAccessKeySecret";
  static final List<String> REGISTRY_FIELDS =
      List.of(
          FIELD_INSTANCE_ID,
          FIELD_REGION_ID,
          FIELD_DOMAINS,
          FIELD_ASSUME_ROLE_ARN,
          FIELD_EXPIRE_DURATION,
          FIELD_RRSA_ROLE_ARN,
          FIELD_RRSA_OIDC_ARN,
          FIELD_ACCESS_KEY,
          FIELD_ACCESS_KEY_SECRET);

  private static final String REGION_RULE =
      "expected a region id such as cn-hangzhou or ap-southeast-1";
  private static final String INSTANCE_RULE =
      "expected an Enterprise Edition instance id: cri- followed by 4 to 64 lower-case letters or"
          + " digits, or \"\" for Personal Edition";

  private static final Pattern PERSONAL_DOMAIN =
      Pattern.compile(
          "(?:registry|registry-vpc|registry-internal|registry-intl|registry-intl-vpc)"
              + "\\.([a-z0-9-]+)\\.aliyuncs\\.com(?::[0-9]+)?");
  private static final Pattern PERSONAL_INSTANCE_DOMAIN =
      Pattern.compile(
          "crpi-[a-z0-9]+(?:-vpc)?\\.([a-z0-9-]+)\\.personal\\.cr\\.aliyuncs\\.com(?::[0-9]+)?");
  private static final Pattern ENTERPRISE_DOMAIN =
      Pattern.compile(
          "([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)-registry(?:-vpc)?(?:\\.distributed)?"
              + "\\.([a-z0-9-]+)\\.cr\\.aliyuncs\\.com(?::[0-9]+)?");

  private final Map<String, String> data;
  private final Optional<String> clusterRegion;
  private final SecretScrubber scrubber;
  private final Problems problems;

  ParseRun(Map<String, String> data, Optional<String> clusterRegion) {
    this.data = data;
    this.clusterRegion = clusterRegion;
    List<String> texts = new ArrayList<>(data.values());
    texts.addAll(data.keySet());
    this.scrubber = SecretScrubber.from(texts);
    this.problems = new Problems(scrubber::scrub);
  }

  /** Quotes a value for a message, with any secret found in the ConfigMap redacted first. */
  private String echo(String value) {
    return Echo.quote(scrubber.scrub(value));
  }

  ConfigParseResult run() {
    Map<String, String> values = screenKeys();
    AcrConfiguration.Builder b = AcrConfiguration.builder();

    boolean rrsa = guard(RRSA, () -> parseRrsa(values.get(RRSA)), false);
    guard(WATCH_NAMESPACE, () -> b.namespaces(parseNamespaces(values)), null);
    guard(SERVICE_ACCOUNT, () -> b.serviceAccounts(parseServiceAccounts(values)), null);
    guard(
        EXPIRING_THRESHOLD,
        () -> parseThreshold(values.get(EXPIRING_THRESHOLD)).map(b::expiringThreshold),
        null);
    guard(ACR_API_VERSION, () -> checkApiVersion(values.get(ACR_API_VERSION)), null);
    guard(
        NOTIFY_EMAIL, () -> b.notifyEmail(parseEmail(values.get(NOTIFY_EMAIL)).orElse(null)), null);
    guard(
        WEBHOOK_CONFIGURATION,
        () -> b.webhook(parseWebhook(values.get(WEBHOOK_CONFIGURATION))),
        null);
    guard(SECRET_LAYOUT, () -> b.secretLayout(parseLayout(values)), null);
    guard(ACR_REGISTRY_INFO, () -> parseRegistries(values, rrsa, b), null);

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

  private static boolean present(Map<String, String> values, String key) {
    return values.containsKey(key);
  }

  private static boolean usable(String value) {
    return value != null && !value.isBlank();
  }

  // ---------------------------------------------------------------- scopes

  private NamespaceScope parseNamespaces(Map<String, String> values) {
    String watch = values.get(WATCH_NAMESPACE);
    String selectorText = values.get(WATCH_NAMESPACE_SELECTOR);
    String exclude = values.get(EXCLUDE_NAMESPACE);

    Optional<LabelSelector> selector = Optional.empty();
    if (usable(selectorText)) {
      List<String> errors = new ArrayList<>();
      LabelSelector s = LabelSelector.parse(selectorText.strip(), errors);
      for (String err : errors) {
        problems.error(WATCH_NAMESPACE_SELECTOR, WATCH_NAMESPACE_SELECTOR, err);
      }
      if (errors.isEmpty()) {
        selector = Optional.of(s);
      }
    } else if (selectorText != null && present(values, WATCH_NAMESPACE_SELECTOR)) {
      problems.warn(WATCH_NAMESPACE_SELECTOR, WATCH_NAMESPACE_SELECTOR, "is empty and is ignored");
    }

    boolean all = false;
    Set<String> names = new LinkedHashSet<>();
    if (usable(watch)) {
      List<String> items = splitList(WATCH_NAMESPACE, watch, MAX_NAMESPACES);
      List<String> redundant = new ArrayList<>();
      for (String n : items) {
        if (n.equalsIgnoreCase("all")) {
          all = true;
          continue;
        }
        String p = Names.checkDnsLabel(n);
        if (p != null) {
          problems.error(
              WATCH_NAMESPACE,
              WATCH_NAMESPACE,
              echo(n) + " is not a valid namespace name; " + p + "; or 'all' for every namespace");
        } else {
          names.add(n);
          redundant.add(n);
        }
      }
      if (all && !redundant.isEmpty()) {
        problems.warn(
            WATCH_NAMESPACE,
            WATCH_NAMESPACE,
            "'all' already includes every namespace; the names listed with it are redundant");
        names.clear();
      }
      if (!all && names.isEmpty() && selector.isEmpty()) {
        names.add("default");
        problems.warn(
            WATCH_NAMESPACE,
            WATCH_NAMESPACE,
            "no valid namespace left; using the default 'default'");
      }
    } else {
      if (watch != null && present(values, WATCH_NAMESPACE)) {
        problems.warn(WATCH_NAMESPACE, WATCH_NAMESPACE, "is empty; using the default");
      }
      if (selector.isEmpty()) {
        // Alibaba's default; a selector on its own selects by label only
        names.add("default");
      }
    }
    if (all && selector.isPresent()) {
      problems.warn(
          WATCH_NAMESPACE_SELECTOR,
          WATCH_NAMESPACE_SELECTOR,
          "has no effect: watch-namespace is 'all', which already includes every namespace");
      selector = Optional.empty();
    }

    List<String> exclusions = new ArrayList<>();
    if (usable(exclude)) {
      for (String e : splitList(EXCLUDE_NAMESPACE, exclude, MAX_EXCLUSIONS)) {
        String p = Names.checkNamespacePattern(e);
        if (p != null) {
          problems.error(
              EXCLUDE_NAMESPACE,
              EXCLUDE_NAMESPACE,
              echo(e) + " is not a valid namespace name or pattern; " + p);
        } else if (!exclusions.contains(e)) {
          exclusions.add(e);
        }
      }
      for (String n : names) {
        if (exclusions.stream().anyMatch(x -> Names.globMatches(x, n))) {
          problems.warn(
              EXCLUDE_NAMESPACE,
              EXCLUDE_NAMESPACE,
              "namespace "
                  + echo(n)
                  + " is listed in watch-namespace and excluded; the exclusion wins");
        }
      }
    }
    return new NamespaceScope(all, names, selector, exclusions);
  }

  private ServiceAccountScope parseServiceAccounts(Map<String, String> values) {
    String sa = values.get(SERVICE_ACCOUNT);
    boolean patch = true;
    String patchText = values.get(PATCH_SERVICE_ACCOUNTS);
    if (usable(patchText)) {
      Optional<Boolean> b = parseBooleanText(patchText.strip());
      if (b.isEmpty()) {
        problems.error(
            PATCH_SERVICE_ACCOUNTS,
            PATCH_SERVICE_ACCOUNTS,
            echo(patchText.strip()) + " is not a boolean; expected true or false (default true)");
      } else {
        patch = b.get();
      }
    }
    boolean all = false;
    Set<String> names = new LinkedHashSet<>();
    if (usable(sa)) {
      boolean hadNames = false;
      for (String n : splitList(SERVICE_ACCOUNT, sa, MAX_SERVICE_ACCOUNTS)) {
        if (n.equals("*")) {
          all = true;
          continue;
        }
        String p = Names.checkDnsSubdomain(n);
        if (p != null) {
          problems.error(
              SERVICE_ACCOUNT,
              SERVICE_ACCOUNT,
              echo(n)
                  + " is not a valid ServiceAccount name; "
                  + p
                  + "; or '*' for every ServiceAccount");
        } else {
          names.add(n);
          hadNames = true;
        }
      }
      if (all && hadNames) {
        problems.warn(
            SERVICE_ACCOUNT,
            SERVICE_ACCOUNT,
            "'*' already includes every ServiceAccount; the names listed with it are redundant");
        names.clear();
      }
      if (!all && names.isEmpty()) {
        names.add("default");
        problems.warn(
            SERVICE_ACCOUNT,
            SERVICE_ACCOUNT,
            "no valid ServiceAccount left; using the default 'default'");
      }
    } else {
      if (sa != null && present(values, SERVICE_ACCOUNT)) {
        problems.warn(SERVICE_ACCOUNT, SERVICE_ACCOUNT, "is empty; using the default");
      }
      names.add("default");
    }
    if (!patch && usable(sa)) {
      problems.warn(
          SERVICE_ACCOUNT,
          SERVICE_ACCOUNT,
          "has no effect while patch-service-accounts is false: no ServiceAccount is patched");
    }
    return new ServiceAccountScope(all, names, patch);
  }

  /** Splits a comma-separated list, trimming items and skipping empty ones. */
  private List<String> splitList(String key, String value, int max) {
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

  // ---------------------------------------------------------------- simple keys

  private Optional<Duration> parseThreshold(String value) {
    if (!usable(value)) {
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
          echo(v) + " is not a duration: " + e.getMessage());
      return Optional.empty();
    }
    if (d.isNegative() || d.isZero() || d.compareTo(AcrConfiguration.MAX_EXPIRING_THRESHOLD) >= 0) {
      problems.error(
          EXPIRING_THRESHOLD,
          EXPIRING_THRESHOLD,
          echo(v)
              + " is out of range; expected more than 0s and less than 1h (tokens live at most one"
              + " hour), e.g. 15m");
      return Optional.empty();
    }
    return Optional.of(d);
  }

  private Void checkApiVersion(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.strip();
    if (!v.equals(AcrConfiguration.ACR_API_VERSION)) {
      problems.warn(
          ACR_API_VERSION,
          ACR_API_VERSION,
          echo(v)
              + " is not supported and is ignored; the only accepted value is 2018-12-01 (the"
              + " default). Tokens are fetched with 2016-06-07 for Personal Edition and 2018-12-01"
              + " for Enterprise Edition regardless");
    }
    return null;
  }

  private Optional<String> parseEmail(String value) {
    if (!usable(value)) {
      return Optional.empty();
    }
    String v = value.strip();
    String p = Names.checkEmail(v);
    if (p != null) {
      problems.error(NOTIFY_EMAIL, NOTIFY_EMAIL, echo(v) + " is not an e-mail address; " + p);
      return Optional.empty();
    }
    return Optional.of(v);
  }

  private SecretLayout parseLayout(Map<String, String> values) {
    String layout = values.get(SECRET_LAYOUT);
    String name = values.get(SECRET_NAME);
    SecretLayout.Kind kind = SecretLayout.Kind.PER_DOMAIN;
    if (usable(layout)) {
      String v = layout.strip().toLowerCase(Locale.ROOT);
      switch (v) {
        case "per-domain" -> kind = SecretLayout.Kind.PER_DOMAIN;
        case "combined" -> kind = SecretLayout.Kind.COMBINED;
        default ->
            problems.error(
                SECRET_LAYOUT,
                SECRET_LAYOUT,
                echo(layout.strip())
                    + " is not a layout; expected per-domain (default, one Secret per domain named"
                    + " acr-credential-<md5 of the domain>) or combined (one Secret, see secret-name)");
      }
    }
    String combinedName = SecretLayout.DEFAULT_COMBINED_NAME;
    if (usable(name)) {
      String v = name.strip();
      String p = Names.checkDnsSubdomain(v);
      if (p != null) {
        problems.error(SECRET_NAME, SECRET_NAME, echo(v) + " is not a valid Secret name; " + p);
      } else if (v.matches("acr-credential-[0-9a-f]{32}")) {
        problems.error(
            SECRET_NAME,
            SECRET_NAME,
            echo(v)
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

  // ---------------------------------------------------------------- YAML blocks

  private boolean parseRrsa(String value) {
    if (!usable(value)) {
      return false;
    }
    Node root = composeOrReport(RRSA, value);
    if (root == null) {
      return false;
    }
    if (root instanceof ScalarNode) {
      Optional<Boolean> b = readBoolean(RRSA, RRSA, root);
      return b.orElse(false);
    }
    Map<String, Node> fields = readMapping(RRSA, RRSA, root, List.of("enable"));
    if (fields == null) {
      return false;
    }
    Node enable = fields.get("enable");
    if (enable == null) {
      problems.warn(RRSA, RRSA, "has no 'enable' field; RRSA stays off (write 'enable: true')");
      return false;
    }
    return readBoolean(RRSA, RRSA + ".enable", enable).orElse(false);
  }

  private WebhookSettings parseWebhook(String value) {
    WebhookSettings defaults = WebhookSettings.defaults();
    if (!usable(value)) {
      return defaults;
    }
    String key = WEBHOOK_CONFIGURATION;
    Node root = composeOrReport(key, value);
    if (root == null) {
      return defaults;
    }
    Map<String, Node> fields =
        readMapping(key, key, root, List.of("enable", "failure-policy", "timeout-seconds"));
    if (fields == null) {
      return defaults;
    }
    boolean enabled = defaults.enabled();
    WebhookSettings.FailurePolicy policy = defaults.failurePolicy();
    int timeout = defaults.timeoutSeconds();
    if (fields.containsKey("enable")) {
      enabled = readBoolean(key, key + ".enable", fields.get("enable")).orElse(enabled);
    }
    if (fields.containsKey("failure-policy")) {
      String loc = key + ".failure-policy";
      String p = readString(key, loc, fields.get("failure-policy"), false);
      if (p != null && !p.isBlank()) {
        switch (p.strip().toLowerCase(Locale.ROOT)) {
          case "ignore" -> policy = WebhookSettings.FailurePolicy.IGNORE;
          case "fail" -> policy = WebhookSettings.FailurePolicy.FAIL;
          default ->
              problems.error(
                  key, loc, echo(p.strip()) + " is not a failure policy; expected Ignore or Fail");
        }
      }
    }
    if (fields.containsKey("timeout-seconds")) {
      String loc = key + ".timeout-seconds";
      Optional<Long> t = readInteger(key, loc, fields.get("timeout-seconds"));
      if (t.isPresent()) {
        if (t.get() < 1 || t.get() > 30) {
          problems.error(key, loc, t.get() + " is out of range; expected 1 to 30 seconds");
        } else {
          timeout = t.get().intValue();
        }
      }
    }
    if (enabled) {
      problems.warn(
          key,
          key + ".enable",
          "takes effect only where the Pod webhook is served: by acr-credential sync started with"
              + " --webhook-cert-file and --webhook-key-file (see its deploy/webhook), or by an"
              + " embedding operator serving PodPullSecretWebhook");
    }
    return new WebhookSettings(enabled, policy, timeout);
  }

  private Node composeOrReport(String key, String text) {
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
  private Map<String, Node> readMapping(
      String key, String loc, Node node, List<String> knownFields) {
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

  /**
   * Reads a scalar string. YAML null gives "". Returns null after reporting when the node is not a
   * string. With {@code secret} the value never appears in a message.
   */
  private String readString(String key, String loc, Node node, boolean secret) {
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

  private Optional<Boolean> readBoolean(String key, String loc, Node node) {
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

  private static Optional<Boolean> parseBooleanText(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on" -> Optional.of(true);
      case "false", "no", "off" -> Optional.of(false);
      default -> Optional.empty();
    };
  }

  private Optional<Long> readInteger(String key, String loc, Node node) {
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
  private static String describe(Node node) {
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

  private String plain(String name) {
    String q = echo(name);
    return q.substring(1, q.lastIndexOf('\''));
  }

  // ---------------------------------------------------------------- registries

  private Void parseRegistries(
      Map<String, String> values, boolean rrsa, AcrConfiguration.Builder b) {
    boolean infoPresent =
        present(values, ACR_REGISTRY_INFO)
            && (values.get(ACR_REGISTRY_INFO) == null || usable(values.get(ACR_REGISTRY_INFO)));
    boolean oldPresent =
        present(values, ACR_REGISTRY)
            && (values.get(ACR_REGISTRY) == null || usable(values.get(ACR_REGISTRY)));
    for (String k : List.of(ACR_REGISTRY_INFO, ACR_REGISTRY)) {
      if (values.get(k) != null && !usable(values.get(k))) {
        problems.warn(k, k, "is empty and is ignored");
      }
    }
    IdentitySpec ambient = rrsa ? IdentitySpec.rrsaFromEnvironment() : IdentitySpec.defaultChain();
    List<RegistryEntry> entries = new ArrayList<>();
    List<NamedInstanceRegistry> named = new ArrayList<>();
    if (infoPresent) {
      if (values.get(ACR_REGISTRY_INFO) != null) {
        parseRegistryInfo(values.get(ACR_REGISTRY_INFO), rrsa, entries);
      }
      if (oldPresent) {
        problems.warn(
            ACR_REGISTRY,
            ACR_REGISTRY,
            "is ignored because acr-registry-info is set; move its domains there");
      }
    } else if (oldPresent) {
      if (values.get(ACR_REGISTRY) != null) {
        parseOldRegistry(values.get(ACR_REGISTRY), ambient, entries, named);
      }
    } else if (clusterRegion.isPresent()) {
      entries.add(
          new RegistryEntry(RegistryTarget.personal(clusterRegion.get()), ambient, "default"));
    } else {
      problems.error(
          ACR_REGISTRY_INFO,
          ACR_REGISTRY_INFO,
          "no registry is configured and the cluster's region is unknown, so the default (Personal"
              + " Edition in the cluster's region) cannot be used; add acr-registry-info or give the"
              + " parser the cluster's region");
    }
    entries.forEach(b::addRegistry);
    named.forEach(b::addRegistryByInstanceName);
    return null;
  }

  private void parseRegistryInfo(String text, boolean rrsa, List<RegistryEntry> entries) {
    String key = ACR_REGISTRY_INFO;
    Node root = composeOrReport(key, text);
    if (root == null) {
      return;
    }
    List<Node> items;
    if (root instanceof SequenceNode seq && Tag.SEQ.equals(root.getTag())) {
      items = seq.getValue();
    } else if (root instanceof MappingNode && Tag.MAP.equals(root.getTag())) {
      problems.warn(
          key,
          key,
          "expected a YAML list (items start with '- '); reading the single mapping as a one-item list");
      items = List.of(root);
    } else {
      problems.error(
          key,
          key,
          "expected a YAML list of registries (items start with '- '), got " + describe(root));
      return;
    }
    if (items.size() > MAX_REGISTRIES) {
      problems.error(
          key,
          key,
          "lists "
              + items.size()
              + " registries; at most "
              + MAX_REGISTRIES
              + " are allowed, the rest are ignored");
      items = items.subList(0, MAX_REGISTRIES);
    }
    Map<String, String> targetOwners = new LinkedHashMap<>();
    Map<String, String> domainOwners = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String loc = key + "[" + i + "]";
      Optional<RegistryEntry> e = parseRegistryItem(loc, items.get(i), rrsa);
      if (e.isEmpty()) {
        continue;
      }
      RegistryTarget t = e.get().target();
      String id = t.edition() + "/" + t.regionId() + "/" + t.instanceId().orElse("");
      String earlier = targetOwners.putIfAbsent(id, loc);
      if (earlier != null) {
        problems.error(
            key,
            loc,
            "configures the same registry (" + t.describe() + ") as " + earlier + "; remove one");
        continue;
      }
      String clash = null;
      for (String d : t.domains()) {
        if (domainOwners.containsKey(d)) {
          clash = d;
          break;
        }
      }
      if (clash != null) {
        problems.error(
            key,
            loc + "." + FIELD_DOMAINS,
            "domain "
                + echo(clash)
                + " is already configured by "
                + domainOwners.get(clash)
                + "; a domain can belong to one registry only");
        targetOwners.remove(id);
        continue;
      }
      t.domains().forEach(d -> domainOwners.put(d, loc));
      entries.add(e.get());
    }
  }

  private Optional<RegistryEntry> parseRegistryItem(String loc, Node node, boolean rrsa) {
    String key = ACR_REGISTRY_INFO;
    int errorsBefore = problems.errorCount();
    Map<String, Node> f = readMapping(key, loc, node, REGISTRY_FIELDS);
    if (f == null) {
      return Optional.empty();
    }
    String instanceId = optional(loc, f, FIELD_INSTANCE_ID, false);
    String regionId = optional(loc, f, FIELD_REGION_ID, false);
    List<String> domains = readDomains(loc, f.get(FIELD_DOMAINS));
    IdentitySpec identity = readIdentity(loc, f, rrsa);

    String region = null;
    if (regionId != null && !regionId.isBlank()) {
      region = checkRegion(key, loc + "." + FIELD_REGION_ID, regionId.strip());
    } else if (clusterRegion.isPresent()) {
      region = clusterRegion.get();
    } else {
      problems.error(
          key,
          loc + "." + FIELD_REGION_ID,
          "is missing and the cluster's region is unknown; set regionId, e.g. cn-hangzhou");
    }
    String instance = null;
    if (instanceId != null && !instanceId.isBlank()) {
      String v = instanceId.strip();
      if (v.length() > 80 || !v.matches("cri-[a-z0-9]+")) {
        problems.error(
            key,
            loc + "." + FIELD_INSTANCE_ID,
            echo(v) + " is not an instance id; " + INSTANCE_RULE);
      } else {
        instance = v;
      }
    }
    if (problems.errorCount() > errorsBefore
        || region == null
        || identity == null
        || domains == null) {
      return Optional.empty();
    }
    RegistryTarget target;
    try {
      target =
          instance == null
              ? RegistryTarget.personal(region)
              : RegistryTarget.enterprise(region, instance);
    } catch (IllegalArgumentException e) {
      String field = instance == null ? FIELD_REGION_ID : FIELD_INSTANCE_ID;
      String value = instance == null ? region : instance;
      problems.error(
          key,
          loc + "." + field,
          echo(value) + " is not valid; " + (instance == null ? REGION_RULE : INSTANCE_RULE));
      return Optional.empty();
    }
    warnDomainMismatches(loc, target, domains);
    return Optional.of(new RegistryEntry(target.withDomains(domains), identity, loc));
  }

  private String checkRegion(String key, String loc, String region) {
    if (region.length() > 64 || !region.matches("[a-z0-9-]+")) {
      problems.error(key, loc, echo(region) + " is not a region id; " + REGION_RULE);
      return null;
    }
    try {
      RegistryTarget.personal(region);
      return region;
    } catch (IllegalArgumentException e) {
      problems.error(key, loc, echo(region) + " is not a region id; " + REGION_RULE);
      return null;
    }
  }

  /** An optional string field; null when absent or invalid (invalid ones are reported). */
  private String optional(String loc, Map<String, Node> f, String field, boolean secret) {
    Node n = f.get(field);
    if (n == null) {
      return null;
    }
    return readString(ACR_REGISTRY_INFO, loc + "." + field, n, secret);
  }

  /** The domains field: a comma-separated string or a YAML list of strings. Null on error. */
  private List<String> readDomains(String loc, Node node) {
    String key = ACR_REGISTRY_INFO;
    String floc = loc + "." + FIELD_DOMAINS;
    List<String> raw = new ArrayList<>();
    if (node == null) {
      return List.of();
    }
    if (node instanceof SequenceNode seq && Tag.SEQ.equals(node.getTag())) {
      for (Node item : seq.getValue()) {
        if (raw.size() >= MAX_DOMAINS_PER_REGISTRY + 1) {
          break;
        }
        String s = readString(key, floc, item, false);
        if (s == null) {
          return null;
        }
        raw.add(s);
      }
    } else {
      String s = readString(key, floc, node, false);
      if (s == null) {
        return null;
      }
      for (String part : s.split(",", MAX_DOMAINS_PER_REGISTRY + 2)) {
        raw.add(part);
      }
    }
    List<String> domains = new ArrayList<>();
    boolean ok = true;
    for (String r : raw) {
      String d = r.strip().toLowerCase(Locale.ROOT);
      if (d.isEmpty()) {
        continue;
      }
      if (domains.size() >= MAX_DOMAINS_PER_REGISTRY) {
        problems.error(key, floc, "lists more than " + MAX_DOMAINS_PER_REGISTRY + " domains");
        return null;
      }
      if (d.contains("*")) {
        problems.error(
            key,
            floc,
            echo(r.strip())
                + " contains '*'; write the region out (the '*' shorthand belongs to the old acr-registry key)");
        ok = false;
        continue;
      }
      String p = Names.checkHost(d);
      if (p != null) {
        problems.error(key, floc, echo(r.strip()) + " is not a registry domain; " + p);
        ok = false;
        continue;
      }
      if (domains.contains(d)) {
        problems.warn(key, floc, "domain " + echo(d) + " is listed twice");
        continue;
      }
      domains.add(d);
    }
    return ok ? domains : null;
  }

  private IdentitySpec readIdentity(String loc, Map<String, Node> f, boolean rrsa) {
    String key = ACR_REGISTRY_INFO;
    int errorsBefore = problems.errorCount();
    String ak = blankToNull(optional(loc, f, FIELD_ACCESS_KEY, true));
    String sk = blankToNull(optional(loc, f, FIELD_ACCESS_KEY_SECRET, true));
    String rrsaRole = blankToNull(optional(loc, f, FIELD_RRSA_ROLE_ARN, false));
    String rrsaOidc = blankToNull(optional(loc, f, FIELD_RRSA_OIDC_ARN, false));
    String assume = blankToNull(optional(loc, f, FIELD_ASSUME_ROLE_ARN, false));
    Optional<Long> expire = Optional.empty();
    if (f.containsKey(FIELD_EXPIRE_DURATION)
        && !(f.get(FIELD_EXPIRE_DURATION) instanceof ScalarNode s
            && (Tag.NULL.equals(s.getTag())
                || Tag.STR.equals(s.getTag()) && s.getValue().isBlank()))) {
      expire = readInteger(key, loc + "." + FIELD_EXPIRE_DURATION, f.get(FIELD_EXPIRE_DURATION));
    }
    if (problems.errorCount() > errorsBefore) {
      return null;
    }

    IdentitySpec.Source source;
    if (ak != null || sk != null) {
      if (ak == null || sk == null) {
        String missing = ak == null ? FIELD_ACCESS_KEY : FIELD_ACCESS_KEY_SECRET;
        problems.error(
            key,
            loc + "." + missing,
            "is missing; customAccessKey and customAccessKeySecret must be given together");
        return null;
      }
      if (rrsaRole != null || rrsaOidc != null) {
        problems.error(
            key,
            loc,
            "sets both customAccessKey and rrsaRoleARN/rrsaOIDCProviderRoleARN; choose one identity");
        return null;
      }
      String p = Names.checkAccessKeyId(ak.strip());
      if (p != null) {
        problems.error(
            key,
            loc + "." + FIELD_ACCESS_KEY,
            "is not a valid AccessKey id (value not shown); " + p);
        return null;
      }
      if (!sk.strip().equals(sk) || sk.length() > 256) {
        problems.error(
            key,
            loc + "." + FIELD_ACCESS_KEY_SECRET,
            "is not a valid AccessKey secret (value not shown): it must not have leading or trailing spaces and be at most 256 characters");
        return null;
      }
      source = new IdentitySpec.AccessKey(ak.strip(), sk);
    } else if (rrsaRole != null || rrsaOidc != null) {
      if (!rrsa) {
        for (String field : List.of(FIELD_RRSA_ROLE_ARN, FIELD_RRSA_OIDC_ARN)) {
          if (f.containsKey(field)) {
            problems.warn(
                key,
                loc + "." + field,
                "is ignored because RRSA is not enabled; add the key rrsa with 'enable: true' to use it");
          }
        }
        source = new IdentitySpec.DefaultChain();
      } else {
        if (rrsaRole == null || rrsaOidc == null) {
          String missing = rrsaRole == null ? FIELD_RRSA_ROLE_ARN : FIELD_RRSA_OIDC_ARN;
          problems.error(
              key,
              loc + "." + missing,
              "is missing; rrsaRoleARN and rrsaOIDCProviderRoleARN must be given together (or neither, to use the pod's RRSA environment)");
          return null;
        }
        String p1 = Names.checkRoleArn(rrsaRole.strip());
        if (p1 != null) {
          problems.error(
              key,
              loc + "." + FIELD_RRSA_ROLE_ARN,
              echo(rrsaRole.strip()) + " is not a role ARN; " + p1);
        }
        String p2 = Names.checkOidcProviderArn(rrsaOidc.strip());
        if (p2 != null) {
          problems.error(
              key,
              loc + "." + FIELD_RRSA_OIDC_ARN,
              echo(rrsaOidc.strip()) + " is not an OIDC provider ARN; " + p2);
        }
        if (p1 != null || p2 != null) {
          return null;
        }
        source =
            new IdentitySpec.Rrsa(Optional.of(rrsaRole.strip()), Optional.of(rrsaOidc.strip()));
      }
    } else {
      source =
          rrsa
              ? new IdentitySpec.Rrsa(Optional.empty(), Optional.empty())
              : new IdentitySpec.DefaultChain();
    }

    Optional<IdentitySpec.AssumeRole> role = Optional.empty();
    if (assume != null) {
      String a = assume.strip();
      String p = Names.checkRoleArn(a);
      if (p != null) {
        problems.error(
            key, loc + "." + FIELD_ASSUME_ROLE_ARN, echo(a) + " is not a role ARN; " + p);
        return null;
      }
      long seconds = expire.orElse(IdentitySpec.MIN_SESSION_SECONDS);
      if (!sessionLengthInRange(key, loc, seconds)) {
        return null;
      }
      role = Optional.of(new IdentitySpec.AssumeRole(a, Duration.ofSeconds(seconds)));
    } else if (expire.isPresent()) {
      long seconds = expire.get();
      if (!sessionLengthInRange(key, loc, seconds)) {
        return null;
      }
      problems.warn(key, loc + "." + FIELD_EXPIRE_DURATION, "is ignored without assumeRoleARN");
    }
    return new IdentitySpec(source, role);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private void warnDomainMismatches(String loc, RegistryTarget target, List<String> domains) {
    String floc = loc + "." + FIELD_DOMAINS;
    for (String d : domains) {
      Matcher ee = ENTERPRISE_DOMAIN.matcher(d);
      Matcher pe = PERSONAL_DOMAIN.matcher(d);
      Matcher pi = PERSONAL_INSTANCE_DOMAIN.matcher(d);
      String domainRegion = null;
      if (ee.matches()) {
        domainRegion = ee.group(2);
        if (target.instanceId().isEmpty()) {
          problems.warn(
              ACR_REGISTRY_INFO,
              floc,
              echo(d)
                  + " looks like an Enterprise Edition domain but instanceId is empty (Personal Edition); set instanceId");
        }
      } else if (pe.matches() || pi.matches()) {
        domainRegion = pe.matches() ? pe.group(1) : pi.group(1);
        if (target.instanceId().isPresent()) {
          problems.warn(
              ACR_REGISTRY_INFO,
              floc,
              echo(d) + " looks like a Personal Edition domain but instanceId is set");
        }
      }
      if (domainRegion != null && !domainRegion.equals(target.regionId())) {
        problems.warn(
            ACR_REGISTRY_INFO,
            floc,
            echo(d)
                + " is in region "
                + domainRegion
                + " but the registry's region is "
                + target.regionId()
                + "; a token only works in its own region");
      }
    }
  }

  /** The oldest format: comma-separated domains with '*' standing for the cluster's region. */
  private void parseOldRegistry(
      String value,
      IdentitySpec identity,
      List<RegistryEntry> entries,
      List<NamedInstanceRegistry> named) {
    String key = ACR_REGISTRY;
    Map<String, List<String>> personal = new LinkedHashMap<>();
    Map<List<String>, List<String>> enterprise = new LinkedHashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String item : splitList(key, value, MAX_REGISTRIES)) {
      String d = item.toLowerCase(Locale.ROOT);
      if (d.contains("*")) {
        if (!List.of(d.split("\\.", -1)).contains("*")
            || d.chars().filter(c -> c == '*').count() > 1) {
          problems.error(
              key,
              key,
              echo(item)
                  + ": '*' may only stand for the whole region label, as in registry.*.aliyuncs.com");
          continue;
        }
        if (clusterRegion.isEmpty()) {
          problems.error(
              key,
              key,
              echo(item)
                  + ": '*' stands for the cluster's region, which is unknown; write the region out (e.g. registry.cn-hangzhou.aliyuncs.com) or give the parser the cluster's region");
          continue;
        }
        d =
            String.join(
                ".",
                java.util.Arrays.stream(d.split("\\.", -1))
                    .map(l -> l.equals("*") ? clusterRegion.get() : l)
                    .toList());
      }
      String p = Names.checkHost(d);
      if (p != null) {
        problems.error(key, key, echo(item) + " is not a registry domain; " + p);
        continue;
      }
      if (!seen.add(d)) {
        problems.warn(key, key, "domain " + echo(d) + " is listed twice");
        continue;
      }
      Matcher pe = PERSONAL_DOMAIN.matcher(d);
      Matcher pi = PERSONAL_INSTANCE_DOMAIN.matcher(d);
      Matcher ee = ENTERPRISE_DOMAIN.matcher(d);
      if (pe.matches() || pi.matches()) {
        String region = pe.matches() ? pe.group(1) : pi.group(1);
        if (checkRegion(key, key, region) != null) {
          personal.computeIfAbsent(region, r -> new ArrayList<>()).add(d);
        }
      } else if (ee.matches()) {
        String region = ee.group(2);
        if (checkRegion(key, key, region) != null) {
          enterprise.computeIfAbsent(List.of(region, ee.group(1)), r -> new ArrayList<>()).add(d);
        }
      } else {
        problems.error(
            key,
            key,
            echo(item)
                + " is not an ACR domain this key can map to a registry (registry[-vpc|-internal|-intl].<region>.aliyuncs.com"
                + " or <instance>-registry[-vpc].<region>.cr.aliyuncs.com); list it in acr-registry-info with its instanceId and regionId");
      }
    }
    personal.forEach(
        (region, ds) ->
            entries.add(
                new RegistryEntry(RegistryTarget.personal(region).withDomains(ds), identity, key)));
    enterprise.forEach(
        (rn, ds) -> named.add(new NamedInstanceRegistry(rn.get(0), rn.get(1), ds, identity, key)));
  }

  /** Reports an {@code expireDuration} outside what STS grants; true when it is in range. */
  private boolean sessionLengthInRange(String key, String loc, long seconds) {
    if (seconds >= IdentitySpec.MIN_SESSION_SECONDS
        && seconds <= IdentitySpec.MAX_SESSION_SECONDS) {
      return true;
    }
    problems.error(
        key,
        loc + "." + FIELD_EXPIRE_DURATION,
        seconds
            + " is out of range; expected "
            + IdentitySpec.MIN_SESSION_SECONDS
            + " to "
            + IdentitySpec.MAX_SESSION_SECONDS
            + " seconds");
    return false;
  }
}
