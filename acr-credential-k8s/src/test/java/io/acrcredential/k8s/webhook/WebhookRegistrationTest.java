package io.acrcredential.k8s.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.config.WebhookSettings.FailurePolicy;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1WebhookClientConfig;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WebhookRegistrationTest {

  static final WebhookRegistration.Target TARGET =
      new WebhookRegistration.Target("acr-credential", "pods.acr-credential.io");

  static V1MutatingWebhookConfiguration object(String policy, Integer timeout) {
    return new V1MutatingWebhookConfiguration()
        .metadata(new V1ObjectMeta().name("acr-credential").resourceVersion("4711"))
        .webhooks(
            List.of(
                new V1MutatingWebhook()
                    .name("other.example.com")
                    .failurePolicy("Ignore")
                    .timeoutSeconds(3)
                    .clientConfig(
                        new AdmissionregistrationV1WebhookClientConfig()
                            .caBundle("b3RoZXI=".getBytes())),
                new V1MutatingWebhook()
                    .name("pods.acr-credential.io")
                    .failurePolicy(policy)
                    .timeoutSeconds(timeout)
                    .clientConfig(
                        new AdmissionregistrationV1WebhookClientConfig()
                            .caBundle("Y2E=".getBytes()))));
  }

  @Test
  void equalValuesNeedNoWrite() {
    assertThat(
            RegistrationFields.plan(
                object("Fail", 5), TARGET, new WebhookSettings(true, FailurePolicy.FAIL, 5)))
        .isInstanceOf(RegistrationFields.Unchanged.class);
    assertThat(RegistrationFields.plan(object("Ignore", 10), TARGET, WebhookSettings.defaults()))
        .isInstanceOf(RegistrationFields.Unchanged.class);
  }

  @Test
  void thePatchSetsOnlyTheNamedEntrysTwoFieldsWithTheReadResourceVersion() throws Exception {
    RegistrationFields.Plan plan =
        RegistrationFields.plan(
            object("Ignore", 10), TARGET, new WebhookSettings(true, FailurePolicy.FAIL, 5));
    assertThat(plan).isInstanceOf(RegistrationFields.Patch.class);
    RegistrationFields.Patch patch = (RegistrationFields.Patch) plan;
    JsonElement json = JsonParser.parseString(patch.json());
    assertThat(json)
        .isEqualTo(
            JsonParser.parseString(
                "{\"metadata\":{\"resourceVersion\":\"4711\"},\"webhooks\":[{\"name\":"
                    + "\"pods.acr-credential.io\",\"failurePolicy\":\"Fail\",\"timeoutSeconds\":5}]}"));
    assertThat(patch.from()).isEqualTo("failurePolicy Ignore, timeoutSeconds 10");
  }

  @Test
  void oneDifferingFieldStillWritesBoth() throws Exception {
    RegistrationFields.Patch patch =
        (RegistrationFields.Patch)
            RegistrationFields.plan(object("Ignore", 7), TARGET, WebhookSettings.defaults());
    JsonObject hook =
        JsonParser.parseString(patch.json())
            .getAsJsonObject()
            .getAsJsonArray("webhooks")
            .get(0)
            .getAsJsonObject();
    assertThat(hook.get("failurePolicy").getAsString()).isEqualTo("Ignore");
    assertThat(hook.get("timeoutSeconds").getAsInt()).isEqualTo(10);
    // a missing (server-defaulted) field counts as different
    assertThat(RegistrationFields.plan(object(null, 10), TARGET, WebhookSettings.defaults()))
        .isInstanceOf(RegistrationFields.Patch.class);
  }

  @Test
  void aMissingEntryIsAProblemNamingTheEntriesFoundAndTheSettingToChange() {
    RegistrationFields.Plan plan =
        RegistrationFields.plan(
            object("Ignore", 10),
            new WebhookRegistration.Target("acr-credential", "pods.example.io"),
            WebhookSettings.defaults());
    assertThat(plan).isInstanceOf(RegistrationFields.Impossible.class);
    RegistrationProblem problem = ((RegistrationFields.Impossible) plan).problem();
    assertThat(problem.kind()).isEqualTo(RegistrationProblem.Kind.MISSING_ENTRY);
    assertThat(problem.message())
        .contains("pods.example.io", "webhookName", "other.example.com", "acr-credential");
    assertNeutral(problem);
    assertThat(
            RegistrationFields.plan(
                new V1MutatingWebhookConfiguration()
                    .metadata(new V1ObjectMeta().name("acr-credential").resourceVersion("1")),
                TARGET,
                WebhookSettings.defaults()))
        .isInstanceOf(RegistrationFields.Impossible.class);
  }

  @Test
  void problemsNameTheObjectWhatIsWrongAndTheFixInTheLibrarysTerms() {
    String object = "MutatingWebhookConfiguration acr-credential (webhook pods.acr-credential.io)";
    RegistrationProblem missing = RegistrationProblem.missing(TARGET);
    assertThat(missing.kind()).isEqualTo(RegistrationProblem.Kind.MISSING);
    assertThat(missing.message()).contains(object, "does not exist", "create it", "Target");
    RegistrationProblem notOurs = RegistrationProblem.notOurs(TARGET);
    assertThat(notOurs.kind()).isEqualTo(RegistrationProblem.Kind.NOT_OURS);
    assertThat(notOurs.message())
        .contains(
            object,
            "not created by acr-credential",
            "app.kubernetes.io/managed-by",
            "without owned");
    RegistrationProblem manage = RegistrationProblem.cannotManage(TARGET, false);
    assertThat(manage.kind()).isEqualTo(RegistrationProblem.Kind.FORBIDDEN);
    assertThat(manage.message())
        .contains(
            "cannot manage " + object,
            "forbidden",
            "get, list, watch and patch on mutatingwebhookconfigurations",
            "resourceNames [acr-credential]");
    RegistrationProblem create = RegistrationProblem.cannotCreate(TARGET);
    assertThat(create.kind()).isEqualTo(RegistrationProblem.Kind.FORBIDDEN);
    assertThat(create.message()).contains("cannot create " + object, "create (any name)");
    for (RegistrationProblem p : List.of(missing, notOurs, manage, create)) {
      assertNeutral(p);
    }
  }

  /** A library's problem names no program's flag, manifest or command. */
  static void assertNeutral(RegistrationProblem p) {
    assertThat(p.message())
        .as(p.kind().toString())
        .doesNotContain("--", "deploy/", ".yaml", "kubectl", "acr-credential-examples");
  }

  @Test
  void policiesAreSpelledAsTheApiDoes() {
    assertThat(RegistrationFields.policy(FailurePolicy.IGNORE)).isEqualTo("Ignore");
    assertThat(RegistrationFields.policy(FailurePolicy.FAIL)).isEqualTo("Fail");
  }

  /**
   * The library's Target is public: a name the API server would refuse (or one that widens the
   * watch's field selector, {@code metadata.name=NAME}) is refused at once, naming the value.
   */
  @Test
  void targetNamesAreKubernetesObjectNames() {
    assertThatThrownBy(
            () -> new WebhookRegistration.Target("acr-credential,metadata.name!=x", "pods.a.io"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("configurationName")
        .hasMessageContaining("'acr-credential,metadata.name!=x'")
        .hasMessageContaining("DNS-1123 subdomain");
    assertThatThrownBy(() -> new WebhookRegistration.Target("acr-credential", "Pods_A"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("webhookName");
    assertThatThrownBy(() -> new WebhookRegistration.Target("", "pods.a.io"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WebhookRegistration.Target("a".repeat(254), "pods.a.io"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new WebhookRegistration.Target("my-op.example", "pods.my-op.example").describe())
        .isEqualTo("MutatingWebhookConfiguration my-op.example (webhook pods.my-op.example)");
  }

  /**
   * An owned registration's namespace is what keeps the embedder's own Pods away from its webhook:
   * a value that is no namespace name would exclude nothing, so it is refused, as are a port out of
   * range and a URL the API server will not call.
   */
  @Test
  void ownedValuesAreChecked() {
    Optional<String> none = Optional.empty();
    assertThatThrownBy(() -> new WebhookRegistration.Owned("Kube-System", none, "svc", 443))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ownNamespace")
        .hasMessageContaining("'Kube-System'");
    assertThatThrownBy(() -> new WebhookRegistration.Owned("", none, "svc", 443))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ownNamespace");
    assertThatThrownBy(() -> new WebhookRegistration.Owned("ops", none, "svc.x", 443))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serviceName");
    assertThatThrownBy(() -> new WebhookRegistration.Owned("ops", none, "svc", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("servicePort 0");
    assertThatThrownBy(
            () ->
                new WebhookRegistration.Owned(
                    "ops", Optional.of("http://127.0.0.1:8443/pods"), "svc", 443))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https://");
    assertThat(
            new WebhookRegistration.Owned(
                    "ops", Optional.of("https://127.0.0.1:8443/pods"), "svc", 65535)
                .servicePort())
        .isEqualTo(65535);
  }
}
