package io.acrcredential.k8s.webhook;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.acrcredential.k8s.internal.Echo;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating admission webhook that closes the race every pull-secret tool has: a Pod created
 * right after its namespace or ServiceAccount gets the ServiceAccount's {@code imagePullSecrets}
 * copied at admission, before the sync could add the pull Secrets to the ServiceAccount, and then
 * fails to pull. This webhook adds the managed pull Secret names to the Pod itself.
 *
 * <p>It turns the body of an {@code admission.k8s.io/v1} {@code AdmissionReview} request into the
 * body of the answer; serving it over HTTPS is the embedder's part (the {@code sync} command of
 * acr-credential-examples does so at {@code /mutate-pods}). The answer always allows the Pod. For a
 * Pod {@code CREATE} whose namespace and ServiceAccount ({@code spec.serviceAccountName}, else
 * {@code default}) the sync covers, it carries a JSONPatch that appends the missing names to {@code
 * spec.imagePullSecrets}: existing entries keep their place, nothing is listed twice, and no patch
 * is sent when nothing is missing. The names come from a {@link PullSecretNames}: given {@code
 * PullSecretSync}, from the running sync's caches, so a standby replica answers as well as the
 * leader. With {@code patch-service-accounts: false} Pods are left unchanged too.
 *
 * <p>A review that is not JSON, not an {@code admission.k8s.io/v1 AdmissionReview}, or has no
 * {@code request.uid} is answered with HTTP 400 and a one-line reason. A review whose Pod cannot be
 * read (say {@code spec.imagePullSecrets} is not a list), or for which the names cannot be
 * determined, is allowed unchanged with a warning, its uid echoed. No exception escapes {@link
 * #review(String)}.
 *
 * <p>Serving it with the JDK's {@code HttpsServer}, set {@code sun.net.httpserver.nodelay=true}
 * before the first server is created: with Nagle's algorithm on, each small answer waits for the
 * API server's delayed ACK (Pod creation p50 52 ms instead of 7.5 ms on the local test server).
 *
 * <p>Thread-safe and stateless apart from the source of names it asks.
 */
public final class PodPullSecretWebhook {

  /** The path the shipped manifests and the {@code sync} command use. */
  public static final String PATH = "/mutate-pods";

  private static final Logger LOG = LoggerFactory.getLogger(PodPullSecretWebhook.class);
  private static final String API_VERSION = "admission.k8s.io/v1";
  private static final String KIND = "AdmissionReview";
  private static final int MAX_UID_ECHO = 128;

  private final PullSecretNames names;

  /**
   * A webhook answering from a source of names, normally a running sync (leader or standby).
   *
   * @param names (namespace, ServiceAccount) to the pull Secret names a new Pod should list
   */
  public PodPullSecretWebhook(PullSecretNames names) {
    this.names = Objects.requireNonNull(names, "names");
  }

  /** What the webhook did with one review. */
  public enum Outcome {
    /** A patch adding pull Secret names was returned. */
    MUTATED,
    /** Allowed without a patch: nothing missing, not in scope, or not a Pod creation. */
    UNCHANGED,
    /** Allowed without a patch because the review or the Pod could not be read (a warning). */
    ERROR,
    /** Not a readable AdmissionReview: answered with HTTP 400. */
    REJECTED
  }

  /**
   * The answer to one review.
   *
   * @param httpStatus 200, or 400 for a body that is not a usable AdmissionReview
   * @param contentType the body's media type
   * @param body the AdmissionReview answer (JSON), or a one-line reason with 400
   * @param outcome what was done, for metrics
   * @param added the names the patch adds (empty unless {@link Outcome#MUTATED})
   */
  public record Answer(
      int httpStatus, String contentType, String body, Outcome outcome, List<String> added) {

    /**
     * Copies the names.
     *
     * @param httpStatus 200, or 400 for a body that is not a usable AdmissionReview
     * @param contentType the body's media type
     * @param body the AdmissionReview answer (JSON), or a one-line reason with 400
     * @param outcome what was done, for metrics
     * @param added the names the patch adds (empty unless {@link Outcome#MUTATED})
     */
    public Answer {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
      Objects.requireNonNull(outcome, "outcome");
      added = List.copyOf(added);
    }
  }

  /**
   * Answers one review.
   *
   * @param requestBody the HTTP request body the API server sent
   * @return the answer; never null, never throws
   */
  public Answer review(String requestBody) {
    try {
      return reviewOrThrow(requestBody);
    } catch (RuntimeException e) {
      // Defensive: every expected problem is handled below; this is for the unexpected.
      LOG.warn("pod webhook: unexpected {}", e.getClass().getSimpleName(), e);
      return badRequest("the review could not be processed (" + e.getClass().getSimpleName() + ")");
    }
  }

  private Answer reviewOrThrow(String requestBody) {
    if (requestBody == null || requestBody.isBlank()) {
      return badRequest("empty body; expected an admission.k8s.io/v1 AdmissionReview");
    }
    JsonElement root;
    try {
      JsonReader reader = new JsonReader(new StringReader(requestBody));
      reader.setStrictness(Strictness.STRICT);
      root = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        return badRequest("the body is not JSON: trailing data after the review");
      }
    } catch (JsonParseException | IOException | IllegalStateException e) {
      return badRequest("the body is not JSON; expected an admission.k8s.io/v1 AdmissionReview");
    }
    if (!root.isJsonObject()) {
      return badRequest("the body is not a JSON object; expected an AdmissionReview");
    }
    JsonObject review = root.getAsJsonObject();
    String apiVersion = string(review, "apiVersion");
    String kind = string(review, "kind");
    if (!API_VERSION.equals(apiVersion) || !KIND.equals(kind)) {
      return badRequest(
          "expected apiVersion "
              + API_VERSION
              + " and kind "
              + KIND
              + ", got "
              + Echo.quote(String.valueOf(apiVersion))
              + " and "
              + Echo.quote(String.valueOf(kind))
              + " (set admissionReviewVersions: [v1] in the MutatingWebhookConfiguration)");
    }
    JsonObject request = object(review, "request");
    String uid = request == null ? null : string(request, "uid");
    if (uid == null || uid.isEmpty() || uid.length() > MAX_UID_ECHO) {
      return badRequest("the AdmissionReview has no request.uid");
    }

    if (!isPodCreate(request)) {
      return allowed(uid, null, Outcome.UNCHANGED, List.of(), null);
    }
    String namespace = string(request, "namespace");
    JsonObject pod = object(request, "object");
    if (namespace == null || namespace.isEmpty()) {
      JsonObject meta = pod == null ? null : object(pod, "metadata");
      namespace = meta == null ? null : string(meta, "namespace");
    }
    if (namespace == null || namespace.isEmpty()) {
      return warn(uid, "request.namespace is missing");
    }
    if (pod == null) {
      return warn(uid, "request.object (the Pod) is missing");
    }
    JsonElement specElement = pod.get("spec");
    if (specElement == null || !specElement.isJsonObject()) {
      return warn(uid, "the Pod has no spec object");
    }
    JsonObject spec = specElement.getAsJsonObject();
    String serviceAccount = string(spec, "serviceAccountName");
    if (serviceAccount == null || serviceAccount.isEmpty()) {
      serviceAccount = string(spec, "serviceAccount"); // deprecated alias
    }
    if (serviceAccount == null || serviceAccount.isEmpty()) {
      serviceAccount = "default";
    }
    JsonElement listElement = spec.get("imagePullSecrets");
    boolean listPresent = listElement != null && !listElement.isJsonNull();
    Set<String> existing = new LinkedHashSet<>();
    if (listPresent) {
      if (!listElement.isJsonArray()) {
        return warn(uid, "spec.imagePullSecrets is not a list; left unchanged");
      }
      for (JsonElement entry : listElement.getAsJsonArray()) {
        if (entry.isJsonObject()) {
          String name = string(entry.getAsJsonObject(), "name");
          if (name != null) {
            existing.add(name);
          }
        }
      }
    }

    List<String> wanted;
    try {
      wanted = names.pullSecretNamesFor(namespace, serviceAccount);
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      LOG.warn(
          "pod webhook: namespace {}: cannot determine the pull Secrets: {}",
          Echo.quote(namespace),
          why);
      return warn(uid, "cannot determine the pull Secrets for namespace " + Echo.quote(namespace));
    }
    List<String> missing = new ArrayList<>();
    for (String name : wanted == null ? List.<String>of() : wanted) {
      if (name != null && !existing.contains(name) && !missing.contains(name)) {
        missing.add(name);
      }
    }
    if (missing.isEmpty()) {
      return allowed(uid, null, Outcome.UNCHANGED, List.of(), null);
    }
    JsonArray patch = new JsonArray();
    if (!listPresent) {
      JsonArray value = new JsonArray();
      missing.forEach(n -> value.add(reference(n)));
      patch.add(operation("/spec/imagePullSecrets", value));
    } else {
      missing.forEach(n -> patch.add(operation("/spec/imagePullSecrets/-", reference(n))));
    }
    LOG.debug(
        "pod webhook: namespace {}, ServiceAccount {}: adding {}",
        namespace,
        serviceAccount,
        missing);
    return allowed(uid, patch, Outcome.MUTATED, missing, null);
  }

  private static boolean isPodCreate(JsonObject request) {
    if (!"CREATE".equals(string(request, "operation"))) {
      return false;
    }
    String sub = string(request, "subResource");
    if (sub != null && !sub.isEmpty()) {
      return false;
    }
    JsonObject kind = object(request, "kind");
    if (kind != null) {
      return "".equals(string(kind, "group"))
          && "v1".equals(string(kind, "version"))
          && "Pod".equals(string(kind, "kind"));
    }
    JsonObject resource = object(request, "resource");
    return resource != null
        && "".equals(string(resource, "group"))
        && "pods".equals(string(resource, "resource"));
  }

  private static JsonObject reference(String name) {
    JsonObject ref = new JsonObject();
    ref.addProperty("name", name);
    return ref;
  }

  private static JsonObject operation(String path, JsonElement value) {
    JsonObject op = new JsonObject();
    op.addProperty("op", "add");
    op.addProperty("path", path);
    op.add("value", value);
    return op;
  }

  private Answer warn(String uid, String problem) {
    LOG.warn("pod webhook: review {}: {}", Echo.quote(uid), problem);
    return allowed(
        uid, null, Outcome.ERROR, List.of(), "acr-credential: " + problem + "; Pod not changed");
  }

  private static Answer allowed(
      String uid, JsonArray patch, Outcome outcome, List<String> added, String warning) {
    JsonObject response = new JsonObject();
    response.addProperty("uid", uid);
    response.addProperty("allowed", true);
    if (patch != null) {
      response.addProperty("patchType", "JSONPatch");
      response.addProperty(
          "patch",
          Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
    }
    if (warning != null) {
      JsonArray warnings = new JsonArray();
      warnings.add(new JsonPrimitive(warning));
      response.add("warnings", warnings);
    }
    JsonObject review = new JsonObject();
    review.addProperty("apiVersion", API_VERSION);
    review.addProperty("kind", KIND);
    review.add("response", response);
    return new Answer(200, "application/json", review.toString(), outcome, added);
  }

  private static Answer badRequest(String reason) {
    return new Answer(400, "text/plain; charset=utf-8", reason + "\n", Outcome.REJECTED, List.of());
  }

  private static String string(JsonObject o, String member) {
    JsonElement e = o.get(member);
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
        ? e.getAsString()
        : null;
  }

  private static JsonObject object(JsonObject o, String member) {
    JsonElement e = o.get(member);
    return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
  }

  @Override
  public String toString() {
    return "PodPullSecretWebhook[" + PATH + "]";
  }
}
