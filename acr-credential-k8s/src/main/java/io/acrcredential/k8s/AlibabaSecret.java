package io.acrcredential.k8s;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.acrcredential.core.DockerConfig;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a Secret this sync does not own, found under the name of one of its pull Secrets,
 * is what Alibaba's {@code aliyun-acr-credential-helper} wrote, and so may be taken over.
 *
 * <p>It is Alibaba's when all of this holds, and a clash (never written) otherwise:
 *
 * <ul>
 *   <li>the pull Secret is a per-domain one: one domain, named {@code acr-credential-<md5 of that
 *       domain>} exactly as Alibaba's helper names it;
 *   <li>the Secret is of type {@code kubernetes.io/dockerconfigjson}, not immutable, not being
 *       deleted, owned by no other object (no {@code ownerReferences}) and carries no label or
 *       annotation of this project (another instance's Secret is never taken);
 *   <li>its only data key is {@code .dockerconfigjson}, a JSON object whose only member is {@code
 *       auths} holding exactly one entry, for that domain;
 *   <li>that entry has no members but {@code username}, {@code password}, {@code auth} and {@code
 *       email}, all strings; the login (from {@code username}/{@code password}, or decoded from
 *       {@code auth}, which must agree when both are given) is a temporary ACR login, user name
 *       {@value #TEMP_USERNAME}: what {@code GetAuthorizationToken} hands out, and what a user's
 *       own long-lived registry login never is.
 * </ul>
 *
 * <p>The verdict names only which rule failed; it never quotes the Secret's content. The sync uses
 * this rule when it reconciles; read-only tools (such as {@code acr-credential doctor} and {@code
 * status}) call {@link #whyNotTakenOver} to tell the two apart exactly as the sync does.
 */
public final class AlibabaSecret {

  /** The user name of ACR's temporary logins, as {@code GetAuthorizationToken} returns it. */
  static final String TEMP_USERNAME = "cr_temp_user";

  /** Larger content than this is not a single login and is not parsed. */
  static final int MAX_CONTENT_BYTES = 64 * 1024;

  private static final Set<String> ENTRY_KEYS = Set.of("username", "password", "auth", "email");

  private AlibabaSecret() {}

  /**
   * Whether the sync takes {@code live} over as Alibaba's (when {@code take-over-alibaba-secrets}
   * is true, the default), or treats it as a clash that is never written.
   *
   * @param live the Secret as read from the API server, found under a pull Secret's name
   * @param secretName the name of the pull Secret the sync wants there
   * @param domains the registry domains that pull Secret holds (one, for the per-domain layout)
   * @return empty when it is Alibaba's and may be taken over; otherwise why not, in words for a
   *     person
   */
  public static Optional<String> whyNotTakenOver(
      V1Secret live, String secretName, List<String> domains) {
    Objects.requireNonNull(live, "live");
    Objects.requireNonNull(secretName, "secretName");
    return Optional.ofNullable(whyNot(live, secretName, List.copyOf(domains)));
  }

  /**
   * Why {@code live} is not a Secret Alibaba's helper wrote for {@code desired}, in words for a log
   * line and an Event; null when it is and may be taken over.
   */
  static String whyNot(V1Secret live, DesiredSecret desired) {
    return whyNot(live, desired.name(), desired.domains());
  }

  /**
   * {@link #whyNot(V1Secret, DesiredSecret)} for a pull Secret named {@code name} holding {@code
   * domains}.
   */
  static String whyNot(V1Secret live, String name, List<String> domains) {
    if (domains.size() != 1 || !name.equals(DockerConfig.secretName(domains.get(0)))) {
      return "the pull Secret is not a per-domain one (secret-layout: combined), a name Alibaba's"
          + " helper never uses";
    }
    String domain = domains.get(0);
    V1ObjectMeta meta = live.getMetadata();
    if (!NamespaceReconciler.SECRET_TYPE.equals(live.getType())) {
      return "its type is not " + NamespaceReconciler.SECRET_TYPE;
    }
    if (Boolean.TRUE.equals(live.getImmutable())) {
      return "it is immutable";
    }
    if (meta == null || meta.getDeletionTimestamp() != null) {
      return "it is being deleted";
    }
    if (meta.getOwnerReferences() != null && !meta.getOwnerReferences().isEmpty()) {
      return "another object owns it (ownerReferences)";
    }
    if (hasProjectKey(meta.getLabels()) || hasProjectKey(meta.getAnnotations())) {
      return "it carries acr-credential.io/ labels or annotations of another instance";
    }
    Map<String, byte[]> data = live.getData();
    if (data == null || data.size() != 1 || data.get(NamespaceReconciler.DATA_KEY) == null) {
      return "its data is not exactly one " + NamespaceReconciler.DATA_KEY + " key";
    }
    byte[] content = data.get(NamespaceReconciler.DATA_KEY);
    if (content.length > MAX_CONTENT_BYTES) {
      return "its " + NamespaceReconciler.DATA_KEY + " is larger than a single login";
    }
    JsonObject root;
    try {
      JsonElement parsed = JsonParser.parseString(new String(content, StandardCharsets.UTF_8));
      if (!parsed.isJsonObject()) {
        return "its " + NamespaceReconciler.DATA_KEY + " is not a JSON object";
      }
      root = parsed.getAsJsonObject();
    } catch (RuntimeException e) { // JsonParseException, deep nesting
      return "its " + NamespaceReconciler.DATA_KEY + " is not valid JSON";
    }
    if (!root.has("auths") || !root.get("auths").isJsonObject()) {
      return "its " + NamespaceReconciler.DATA_KEY + " is not a Docker config (no auths object)";
    }
    if (root.size() != 1) {
      return "its Docker config holds more than an auths object";
    }
    JsonObject auths = root.getAsJsonObject("auths");
    if (auths.size() != 1) {
      return "its Docker config holds " + auths.size() + " registries, not " + domain + " alone";
    }
    String key = auths.keySet().iterator().next();
    if (!key.toLowerCase(Locale.ROOT).equals(domain.toLowerCase(Locale.ROOT))) {
      return "its Docker config is for another registry, not " + domain;
    }
    if (!auths.get(key).isJsonObject()) {
      return "its login for " + domain + " is not a JSON object";
    }
    return whyNotTemporaryLogin(auths.getAsJsonObject(key), domain);
  }

  private static String whyNotTemporaryLogin(JsonObject entry, String domain) {
    for (String k : entry.keySet()) {
      if (!ENTRY_KEYS.contains(k)) {
        return "its login for " + domain + " has fields Alibaba's helper does not write";
      }
      JsonElement v = entry.get(k);
      if (!v.isJsonPrimitive() || !((JsonPrimitive) v).isString()) {
        return "its login for " + domain + " has a field that is not a string";
      }
    }
    String username = text(entry, "username");
    String password = text(entry, "password");
    String auth = text(entry, "auth");
    if (auth != null) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return "its login for " + domain + " has an auth field that is not base64";
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return "its login for " + domain + " has an auth field that is not user:password";
      }
      String u = decoded.substring(0, colon);
      String p = decoded.substring(colon + 1);
      if ((username != null && !username.equals(u)) || (password != null && !password.equals(p))) {
        return "its login for "
            + domain
            + " has an auth field that disagrees with its user name"
            + " or password";
      }
      username = u;
      password = p;
    }
    if (username == null || password == null || password.isEmpty()) {
      return "its login for " + domain + " has no user name and password";
    }
    if (!TEMP_USERNAME.equals(username)) {
      return "its login for "
          + domain
          + " is not a temporary ACR login (user name "
          + TEMP_USERNAME
          + "); it looks like a user's own";
    }
    return null;
  }

  private static String text(JsonObject entry, String key) {
    JsonElement v = entry.get(key);
    return v == null ? null : v.getAsString();
  }

  private static boolean hasProjectKey(Map<String, String> map) {
    if (map == null) {
      return false;
    }
    for (String k : map.keySet()) {
      if (k.startsWith("acr-credential.io/")) {
        return true;
      }
    }
    return false;
  }
}
