package io.acrcredential.k8s.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PodPullSecretWebhookTest {

  private static final String A = "acr-credential-aaa";
  private static final String B = "acr-credential-bbb";

  private final List<String> asked = new CopyOnWriteArrayList<>();

  /** In scope: namespace "team" with ServiceAccounts "default" and "builder". */
  private final PodPullSecretWebhook webhook =
      new PodPullSecretWebhook(
          (ns, sa) -> {
            asked.add(ns + "/" + sa);
            return ns.equals("team") && (sa.equals("default") || sa.equals("builder"))
                ? List.of(A, B)
                : List.of();
          });

  @Test
  void podWithoutImagePullSecretsGetsTheWholeList() {
    JsonObject pod = pod(null, null);
    PodPullSecretWebhook.Answer answer = webhook.review(review("u-1", "team", pod));

    JsonObject response = response(answer);
    assertThat(response.get("uid").getAsString()).isEqualTo("u-1");
    assertThat(response.get("allowed").getAsBoolean()).isTrue();
    assertThat(response.get("patchType").getAsString()).isEqualTo("JSONPatch");
    JsonArray patch = patch(response);
    assertThat(patch).hasSize(1);
    JsonObject op = patch.get(0).getAsJsonObject();
    assertThat(op.get("op").getAsString()).isEqualTo("add");
    assertThat(op.get("path").getAsString()).isEqualTo("/spec/imagePullSecrets");
    assertThat(namesAfter(pod, patch)).containsExactly(A, B);
    assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.MUTATED);
    assertThat(answer.added()).containsExactly(A, B);
    assertThat(asked).containsExactly("team/default");
  }

  @Test
  void explicitNullListIsReplacedWholesale() {
    JsonObject pod = pod(null, null);
    pod.getAsJsonObject("spec").add("imagePullSecrets", com.google.gson.JsonNull.INSTANCE);
    JsonArray patch = patch(response(webhook.review(review("u", "team", pod))));
    assertThat(patch.get(0).getAsJsonObject().get("path").getAsString())
        .isEqualTo("/spec/imagePullSecrets");
    assertThat(namesAfter(pod, patch)).containsExactly(A, B);
  }

  @Test
  void existingEntriesKeepTheirOrderAndOursAreAppended() {
    JsonObject pod = pod("builder", List.of("mine", "also-mine"));
    PodPullSecretWebhook.Answer answer = webhook.review(review("u-2", "team", pod));
    JsonArray patch = patch(response(answer));
    assertThat(patch).hasSize(2);
    for (JsonElement op : patch) {
      assertThat(op.getAsJsonObject().get("path").getAsString())
          .isEqualTo("/spec/imagePullSecrets/-");
    }
    assertThat(namesAfter(pod, patch)).containsExactly("mine", "also-mine", A, B);
    assertThat(asked).containsExactly("team/builder");
  }

  @Test
  void emptyListIsAppendedTo() {
    JsonObject pod = pod(null, List.of());
    JsonArray patch = patch(response(webhook.review(review("u", "team", pod))));
    assertThat(patch.get(0).getAsJsonObject().get("path").getAsString())
        .isEqualTo("/spec/imagePullSecrets/-");
    assertThat(namesAfter(pod, patch)).containsExactly(A, B);
  }

  @Test
  void noDuplicateWhenOneIsAlreadyListed() {
    JsonObject pod = pod("default", List.of(B, "mine"));
    PodPullSecretWebhook.Answer answer = webhook.review(review("u", "team", pod));
    JsonArray patch = patch(response(answer));
    assertThat(patch).hasSize(1);
    assertThat(namesAfter(pod, patch)).containsExactly(B, "mine", A);
    assertThat(answer.added()).containsExactly(A);
  }

  @Test
  void nothingMissingMeansNoPatch() {
    JsonObject pod = pod("default", List.of(A, B));
    PodPullSecretWebhook.Answer answer = webhook.review(review("u-3", "team", pod));
    JsonObject response = response(answer);
    assertThat(response.get("allowed").getAsBoolean()).isTrue();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.has("patchType")).isFalse();
    assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.UNCHANGED);
  }

  @Test
  void outOfScopeNamespaceOrServiceAccountIsUntouched() {
    for (String[] c : new String[][] {{"other", "default"}, {"team", "deployer"}}) {
      PodPullSecretWebhook.Answer answer = webhook.review(review("u", c[0], pod(c[1], null)));
      assertThat(response(answer).has("patch")).as("%s/%s", c[0], c[1]).isFalse();
      assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.UNCHANGED);
    }
    assertThat(asked).containsExactly("other/default", "team/deployer");
  }

  @Test
  void deprecatedServiceAccountFieldIsHonoured() {
    JsonObject pod = pod(null, null);
    pod.getAsJsonObject("spec").addProperty("serviceAccount", "builder");
    webhook.review(review("u", "team", pod));
    assertThat(asked).containsExactly("team/builder");
  }

  @Test
  void namespaceFromTheObjectWhenTheRequestHasNone() {
    JsonObject pod = pod(null, null);
    pod.getAsJsonObject("metadata").addProperty("namespace", "team");
    JsonObject review = JsonParser.parseString(review("u", "team", pod)).getAsJsonObject();
    review.getAsJsonObject("request").remove("namespace");
    assertThat(patch(response(webhook.review(review.toString())))).hasSize(1);
  }

  @Test
  void otherOperationsAndKindsAreAllowedUnchangedWithoutAsking() {
    JsonObject update =
        JsonParser.parseString(review("u", "team", pod(null, null))).getAsJsonObject();
    update.getAsJsonObject("request").addProperty("operation", "UPDATE");
    JsonObject secret =
        JsonParser.parseString(review("u", "team", pod(null, null))).getAsJsonObject();
    secret.getAsJsonObject("request").getAsJsonObject("kind").addProperty("kind", "Secret");
    JsonObject sub = JsonParser.parseString(review("u", "team", pod(null, null))).getAsJsonObject();
    sub.getAsJsonObject("request").addProperty("subResource", "ephemeralcontainers");
    for (JsonObject r : List.of(update, secret, sub)) {
      PodPullSecretWebhook.Answer answer = webhook.review(r.toString());
      JsonObject response = response(answer);
      assertThat(response.get("allowed").getAsBoolean()).isTrue();
      assertThat(response.has("patch")).isFalse();
    }
    assertThat(asked).isEmpty();
  }

  @Test
  void imagePullSecretsNotAListIsAWarningNotAPatch() {
    JsonObject pod = pod(null, null);
    pod.getAsJsonObject("spec").addProperty("imagePullSecrets", "mine");
    PodPullSecretWebhook.Answer answer = webhook.review(review("u-4", "team", pod));
    JsonObject response = response(answer);
    assertThat(response.get("uid").getAsString()).isEqualTo("u-4");
    assertThat(response.get("allowed").getAsBoolean()).isTrue();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.getAsJsonArray("warnings").get(0).getAsString())
        .contains("spec.imagePullSecrets is not a list");
    assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.ERROR);
  }

  @Test
  void podWithoutSpecIsAWarning() {
    JsonObject pod = pod(null, null);
    pod.remove("spec");
    PodPullSecretWebhook.Answer answer = webhook.review(review("u-5", "team", pod));
    assertThat(response(answer).getAsJsonArray("warnings").get(0).getAsString())
        .contains("no spec");
    assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.ERROR);
  }

  @Test
  void aFailingLookupAllowsThePodWithAWarning() {
    PodPullSecretWebhook failing =
        new PodPullSecretWebhook(
            (ns, sa) -> {
              throw new IllegalStateException("cannot read namespace team: HTTP 403");
            });
    PodPullSecretWebhook.Answer answer = failing.review(review("u-6", "team", pod(null, null)));
    JsonObject response = response(answer);
    assertThat(response.get("uid").getAsString()).isEqualTo("u-6");
    assertThat(response.get("allowed").getAsBoolean()).isTrue();
    assertThat(response.has("patch")).isFalse();
    assertThat(response.getAsJsonArray("warnings").get(0).getAsString())
        .contains("cannot determine the pull Secrets", "'team'");
    assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.ERROR);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "{\"apiVersion\":",
        "[1,2]",
        "{} {}",
        "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\","
            + "\"request\":{\"uid\":\"x\"}}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{}}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":[]}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
            + "\"request\":{\"uid\":5}}"
      })
  void unusableReviewsAreBadRequests(String body) {
    PodPullSecretWebhook.Answer answer = webhook.review(body);
    assertThat(answer.httpStatus()).isEqualTo(400);
    assertThat(answer.outcome()).isEqualTo(PodPullSecretWebhook.Outcome.REJECTED);
    assertThat(answer.body()).isNotBlank().doesNotContain("\n\n");
    assertThat(asked).isEmpty();
  }

  @Test
  void wrongVersionNamesTheFix() {
    PodPullSecretWebhook.Answer answer =
        webhook.review(
            "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\"}");
    assertThat(answer.body())
        .contains("admissionReviewVersions: [v1]", "'admission.k8s.io/v1beta1'");
  }

  @Test
  void nullLookupAnswerAndNullNamesAreTolerated() {
    PodPullSecretWebhook nulls = new PodPullSecretWebhook((ns, sa) -> null);
    assertThat(response(nulls.review(review("u", "team", pod(null, null)))).has("patch")).isFalse();
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    withNull.add(A);
    withNull.add(A);
    PodPullSecretWebhook some = new PodPullSecretWebhook((ns, sa) -> withNull);
    JsonObject pod = pod(null, null);
    assertThat(namesAfter(pod, patch(response(some.review(review("u", "team", pod))))))
        .containsExactly(A);
  }

  // ---- helpers ----

  /** A Pod as the API server sends it; serviceAccountName and the list only when given. */
  private static JsonObject pod(String serviceAccount, List<String> pullSecrets) {
    JsonObject spec = new JsonObject();
    JsonArray containers = new JsonArray();
    JsonObject c = new JsonObject();
    c.addProperty("name", "app");
    c.addProperty("image", "registry.cn-hangzhou.aliyuncs.com/team/app:1");
    containers.add(c);
    spec.add("containers", containers);
    if (serviceAccount != null) {
      spec.addProperty("serviceAccountName", serviceAccount);
    }
    if (pullSecrets != null) {
      JsonArray list = new JsonArray();
      for (String p : pullSecrets) {
        JsonObject ref = new JsonObject();
        ref.addProperty("name", p);
        list.add(ref);
      }
      spec.add("imagePullSecrets", list);
    }
    JsonObject metadata = new JsonObject();
    metadata.addProperty("generateName", "app-");
    JsonObject pod = new JsonObject();
    pod.addProperty("apiVersion", "v1");
    pod.addProperty("kind", "Pod");
    pod.add("metadata", metadata);
    pod.add("spec", spec);
    return pod;
  }

  private static String review(String uid, String namespace, JsonObject pod) {
    JsonObject kind = new JsonObject();
    kind.addProperty("group", "");
    kind.addProperty("version", "v1");
    kind.addProperty("kind", "Pod");
    JsonObject resource = new JsonObject();
    resource.addProperty("group", "");
    resource.addProperty("version", "v1");
    resource.addProperty("resource", "pods");
    JsonObject request = new JsonObject();
    request.addProperty("uid", uid);
    request.add("kind", kind);
    request.add("resource", resource);
    request.addProperty("namespace", namespace);
    request.addProperty("operation", "CREATE");
    request.add("object", pod);
    JsonObject review = new JsonObject();
    review.addProperty("apiVersion", "admission.k8s.io/v1");
    review.addProperty("kind", "AdmissionReview");
    review.add("request", request);
    return review.toString();
  }

  private static JsonObject response(PodPullSecretWebhook.Answer answer) {
    assertThat(answer.httpStatus()).isEqualTo(200);
    assertThat(answer.contentType()).isEqualTo("application/json");
    JsonObject review = JsonParser.parseString(answer.body()).getAsJsonObject();
    assertThat(review.get("apiVersion").getAsString()).isEqualTo("admission.k8s.io/v1");
    assertThat(review.get("kind").getAsString()).isEqualTo("AdmissionReview");
    return review.getAsJsonObject("response");
  }

  private static JsonArray patch(JsonObject response) {
    assertThat(response.has("patch")).as("a patch in %s", response).isTrue();
    String json =
        new String(
            Base64.getDecoder().decode(response.get("patch").getAsString()),
            StandardCharsets.UTF_8);
    return JsonParser.parseString(json).getAsJsonArray();
  }

  /** Applies the patch (RFC 6902 add, as the API server does) and reads the resulting names. */
  private static List<String> namesAfter(JsonObject pod, JsonArray patch) {
    JsonObject doc = pod.deepCopy();
    for (JsonElement e : patch) {
      JsonObject op = e.getAsJsonObject();
      assertThat(op.keySet()).containsExactlyInAnyOrder("op", "path", "value");
      assertThat(op.get("op").getAsString()).isEqualTo("add");
      add(doc, op.get("path").getAsString(), op.get("value"));
    }
    List<String> names = new ArrayList<>();
    for (JsonElement ref : doc.getAsJsonObject("spec").getAsJsonArray("imagePullSecrets")) {
      assertThat(ref.getAsJsonObject().keySet()).containsExactly("name");
      names.add(ref.getAsJsonObject().get("name").getAsString());
    }
    // everything else in the Pod is untouched
    JsonObject before = pod.deepCopy();
    JsonObject after = doc.deepCopy();
    before.getAsJsonObject("spec").remove("imagePullSecrets");
    after.getAsJsonObject("spec").remove("imagePullSecrets");
    assertThat(after).isEqualTo(before);
    return names;
  }

  private static void add(JsonObject doc, String path, JsonElement value) {
    assertThat(path).startsWith("/");
    String[] parts = path.substring(1).split("/");
    JsonElement parent = doc;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonElement next = parent.getAsJsonObject().get(parts[i]);
      assertThat(next).as("parent %s of %s exists", parts[i], path).isNotNull();
      parent = next;
    }
    String last = parts[parts.length - 1];
    if (parent.isJsonArray()) {
      // RFC 6902: "-" appends; a member of an array must be "-" or an index
      assertThat(last).isEqualTo("-");
      parent.getAsJsonArray().add(value.deepCopy());
    } else {
      parent.getAsJsonObject().add(last, value.deepCopy());
    }
  }
}
