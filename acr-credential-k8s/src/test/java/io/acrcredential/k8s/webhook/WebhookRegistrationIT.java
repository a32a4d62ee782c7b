package io.acrcredential.k8s.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.WebhookSettings;
import io.acrcredential.k8s.config.WebhookSettings.FailurePolicy;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.RbacAuthorizationV1Api;
import io.kubernetes.client.openapi.models.RbacV1Subject;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PolicyRule;
import io.kubernetes.client.openapi.models.V1RoleRef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The registration keeper through its public API on a real API server: a user's object gets only
 * the two fields of its entry, an owned one is created, repaired, updated and removed, and an
 * object of the same name the keeper did not create is left alone and reported. Every object
 * selects only namespaces labelled for this run, so other tests sharing the server are unaffected.
 */
@WithKubeApiServer
class WebhookRegistrationIT {

  private static final String ENTRY = "pods.acr-credential.io";

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final ApiClient watchClient;
  private final AdmissionregistrationV1Api admission;
  private final String run = "wrk-" + UUID.randomUUID().toString().substring(0, 6);

  WebhookRegistrationIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.watchClient = server.adminClient();
    this.watchClient.setReadTimeout(0);
    this.admission = new AdmissionregistrationV1Api(admin);
  }

  @Test
  void aUsersObjectGetsOnlyTheTwoFieldsOfItsEntryAndIsRepaired() throws Exception {
    String name = run + "-user";
    V1MutatingWebhookConfiguration made =
        admission
            .createMutatingWebhookConfiguration(
                new V1MutatingWebhookConfiguration()
                    .metadata(new V1ObjectMeta().name(name).putAnnotationsItem("note", "kept"))
                    .webhooks(
                        List.of(
                            entry("other.example.com").failurePolicy("Fail").timeoutSeconds(3),
                            entry(ENTRY))))
            .execute();
    List<RegistrationProblem> problems = new CopyOnWriteArrayList<>();
    try (WebhookRegistration keeper =
        WebhookRegistration.builder(admin, watchClient, new WebhookRegistration.Target(name, ENTRY))
            .onProblem(problems::add)
            .build()) {
      keeper.manage(Optional.of(new WebhookSettings(true, FailurePolicy.FAIL, 4)));
      await("Fail/4 set", () -> is(name, ENTRY, "Fail", 4));
      patch(name, "Ignore", 9);
      await("repaired", () -> is(name, ENTRY, "Fail", 4));
      V1MutatingWebhookConfiguration now =
          admission.readMutatingWebhookConfiguration(name).execute();
      assertThat(now.getMetadata().getAnnotations()).containsEntry("note", "kept");
      assertThat(now.getMetadata().getLabels()).isNullOrEmpty();
      V1MutatingWebhook other = now.getWebhooks().get(0);
      assertThat(other.getName()).isEqualTo("other.example.com");
      assertThat(other.getTimeoutSeconds()).isEqualTo(3);
      assertThat(other.getClientConfig()).isEqualTo(made.getWebhooks().get(0).getClientConfig());
      assertThat(problems).isEmpty();

      keeper.manage(Optional.empty());
      patch(name, "Ignore", 9);
      Thread.sleep(1000);
      assertThat(is(name, ENTRY, "Ignore", 9)).as("not kept once it stops managing").isTrue();
    } finally {
      admission.deleteMutatingWebhookConfiguration(name).execute();
    }
    try (WebhookRegistration missing =
        WebhookRegistration.builder(admin, watchClient, new WebhookRegistration.Target(name, ENTRY))
            .onProblem(problems::add)
            .build()) {
      missing.manage(Optional.of(WebhookSettings.defaults()));
      await("the missing object reported", () -> !problems.isEmpty());
      assertThat(problems.get(0).kind()).isEqualTo(RegistrationProblem.Kind.MISSING);
      assertThat(problems.get(0).message()).contains(name, "does not exist");
      assertThat(catchCode(() -> admission.readMutatingWebhookConfiguration(name).execute()))
          .as("a user's object is never created")
          .isEqualTo(404);
    }
  }

  @Test
  void anOwnedObjectIsCreatedRepairedUpdatedAndRemoved() throws Exception {
    String name = run + "-owned";
    byte[] ca = server.caCertificatePem().getBytes(StandardCharsets.US_ASCII);
    WebhookRegistration.Owned owned =
        new WebhookRegistration.Owned(
            server.createNamespace("wrk"),
            Optional.of("https://127.0.0.1:1/mutate-pods"),
            "x",
            443);
    List<RegistrationProblem> problems = new CopyOnWriteArrayList<>();
    try (WebhookRegistration keeper =
        WebhookRegistration.builder(admin, watchClient, new WebhookRegistration.Target(name, ENTRY))
            .owned(owned)
            .onProblem(problems::add)
            .build()) {
      keeper.manage(Optional.of(new WebhookSettings(true, FailurePolicy.IGNORE, 3)));
      Thread.sleep(500);
      assertThat(catchCode(() -> admission.readMutatingWebhookConfiguration(name).execute()))
          .as("no CA bundle yet: not created")
          .isEqualTo(404);
      keeper.caBundle(ca);
      await("created", () -> is(name, ENTRY, "Ignore", 3));
      V1MutatingWebhookConfiguration created =
          admission.readMutatingWebhookConfiguration(name).execute();
      assertThat(created.getMetadata().getLabels())
          .containsEntry("app.kubernetes.io/managed-by", "acr-credential");
      assertThat(created.getWebhooks().get(0).getClientConfig().getCaBundle()).isEqualTo(ca);
      assertThat(created.getWebhooks().get(0).getClientConfig().getUrl())
          .isEqualTo("https://127.0.0.1:1/mutate-pods");

      admission.deleteMutatingWebhookConfiguration(name).execute();
      await("created again", () -> is(name, ENTRY, "Ignore", 3));
      keeper.manage(Optional.of(new WebhookSettings(true, FailurePolicy.IGNORE, 7)));
      await("updated", () -> is(name, ENTRY, "Ignore", 7));
      keeper.remove();
      assertThat(catchCode(() -> admission.readMutatingWebhookConfiguration(name).execute()))
          .isEqualTo(404);
      assertThat(problems).isEmpty();
    }
  }

  @Test
  void anObjectOfTheSameNameItDidNotCreateIsLeftAloneAndReported() throws Exception {
    String name = run + "-foreign";
    admission
        .createMutatingWebhookConfiguration(
            new V1MutatingWebhookConfiguration()
                .metadata(new V1ObjectMeta().name(name))
                .webhooks(List.of(entry(ENTRY))))
        .execute();
    String before = resourceVersion(name);
    List<RegistrationProblem> problems = new CopyOnWriteArrayList<>();
    try (WebhookRegistration keeper =
        WebhookRegistration.builder(admin, watchClient, new WebhookRegistration.Target(name, ENTRY))
            .owned(
                new WebhookRegistration.Owned(
                    "default", Optional.of("https://127.0.0.1:1/mutate-pods"), "x", 443))
            .onProblem(problems::add)
            .build()) {
      keeper.caBundle(server.caCertificatePem().getBytes(StandardCharsets.US_ASCII));
      keeper.manage(Optional.of(new WebhookSettings(true, FailurePolicy.FAIL, 5)));
      await("reported", () -> !problems.isEmpty());
      assertThat(problems).hasSize(1);
      assertThat(problems.get(0).kind()).isEqualTo(RegistrationProblem.Kind.NOT_OURS);
      assertThat(problems.get(0).message()).contains(name, "not created by acr-credential");
      keeper.remove();
      assertThat(resourceVersion(name)).as("neither changed nor deleted").isEqualTo(before);
    } finally {
      admission.deleteMutatingWebhookConfiguration(name).execute();
    }
  }

  /**
   * An owned keeper replaces its object (update), it never patches it: when RBAC denies that, the
   * problem names the verbs the owned mode needs, not the user mode's patch. Ignore, so that the
   * object never stands in the way of Pods other tests create meanwhile.
   */
  @Test
  void anOwnedKeeperDeniedItsUpdateNamesUpdate() throws Exception {
    String name = run + "-denied";
    WebhookRegistration.Target target = new WebhookRegistration.Target(name, ENTRY);
    WebhookRegistration.Owned owned =
        new WebhookRegistration.Owned(
            "default", Optional.of("https://127.0.0.1:1/mutate-pods"), "x", 443);
    byte[] ca = server.caCertificatePem().getBytes(StandardCharsets.US_ASCII);
    admission
        .createMutatingWebhookConfiguration(
            WebhookRegistration.ownedConfiguration(
                target, owned, new WebhookSettings(true, FailurePolicy.IGNORE, 3), ca))
        .execute();
    String user = "wrk-reader-" + run;
    grant(user, name, false, "get", "list", "watch");
    ApiClient reader = server.clientForUser(user);
    awaitGranted(reader, name);
    ApiClient readerWatch = server.clientForUser(user);
    readerWatch.setReadTimeout(0);
    List<RegistrationProblem> problems = new CopyOnWriteArrayList<>();
    try (WebhookRegistration keeper =
        WebhookRegistration.builder(reader, readerWatch, target)
            .owned(owned)
            .onProblem(problems::add)
            .build()) {
      keeper.caBundle(ca);
      keeper.manage(Optional.of(new WebhookSettings(true, FailurePolicy.IGNORE, 5)));
      await("the denied update reported", () -> !problems.isEmpty());
      assertThat(problems.get(0).message())
          .contains(name, "forbidden", "update")
          .doesNotContain("patch");
    } finally {
      admission.deleteMutatingWebhookConfiguration(name).execute();
      revoke(user);
    }
  }

  /**
   * An owned keeper that may create and update its object but not delete it cannot remove it when
   * the webhook is disabled: the object stays registered while its embedder stops serving, so this
   * is reported as a problem naming the verb, not only logged at debug.
   */
  @Test
  void anOwnedKeeperDeniedItsDeleteReportsIt() throws Exception {
    String name = run + "-undeletable";
    String user = "wrk-keeper-" + run;
    grant(user, name, true, "get", "list", "watch", "update");
    ApiClient keeperApi = server.clientForUser(user);
    awaitGranted(keeperApi, name);
    ApiClient keeperWatch = server.clientForUser(user);
    keeperWatch.setReadTimeout(0);
    List<RegistrationProblem> problems = new CopyOnWriteArrayList<>();
    try (WebhookRegistration keeper =
        WebhookRegistration.builder(
                keeperApi, keeperWatch, new WebhookRegistration.Target(name, ENTRY))
            .owned(
                new WebhookRegistration.Owned(
                    "default", Optional.of("https://127.0.0.1:1/mutate-pods"), "x", 443))
            .onProblem(problems::add)
            .build()) {
      keeper.caBundle(server.caCertificatePem().getBytes(StandardCharsets.US_ASCII));
      keeper.manage(Optional.of(new WebhookSettings(true, FailurePolicy.IGNORE, 3)));
      await("created", () -> is(name, ENTRY, "Ignore", 3));
      assertThat(problems).isEmpty();
      keeper.remove();
      assertThat(is(name, ENTRY, "Ignore", 3)).as("still registered").isTrue();
      assertThat(problems)
          .singleElement()
          .satisfies(
              p -> assertThat(p.message()).contains("cannot remove", name, "forbidden", "delete"));
    } finally {
      admission.deleteMutatingWebhookConfiguration(name).execute();
      revoke(user);
    }
  }

  // ---- helpers ----

  /** A ClusterRole and its binding for {@code user}: these verbs on one name, and create. */
  private void grant(String user, String name, boolean create, String... verbs)
      throws ApiException {
    List<V1PolicyRule> rules = new java.util.ArrayList<>();
    rules.add(
        new V1PolicyRule()
            .apiGroups(List.of("admissionregistration.k8s.io"))
            .resources(List.of("mutatingwebhookconfigurations"))
            .resourceNames(List.of(name))
            .verbs(List.of(verbs)));
    if (create) {
      rules.add(
          new V1PolicyRule()
              .apiGroups(List.of("admissionregistration.k8s.io"))
              .resources(List.of("mutatingwebhookconfigurations"))
              .verbs(List.of("create")));
    }
    RbacAuthorizationV1Api rbac = new RbacAuthorizationV1Api(admin);
    rbac.createClusterRole(new V1ClusterRole().metadata(new V1ObjectMeta().name(user)).rules(rules))
        .execute();
    rbac.createClusterRoleBinding(
            new V1ClusterRoleBinding()
                .metadata(new V1ObjectMeta().name(user))
                .roleRef(
                    new V1RoleRef()
                        .apiGroup("rbac.authorization.k8s.io")
                        .kind("ClusterRole")
                        .name(user))
                .subjects(
                    List.of(
                        new RbacV1Subject()
                            .apiGroup("rbac.authorization.k8s.io")
                            .kind("User")
                            .name(user))))
        .execute();
  }

  /** Waits until the API server's RBAC cache lets {@code client} list the one name. */
  private static void awaitGranted(ApiClient client, String name) throws Exception {
    AdmissionregistrationV1Api as = new AdmissionregistrationV1Api(client);
    await(
        "RBAC in effect",
        () ->
            catchCode(
                    () ->
                        as.listMutatingWebhookConfiguration()
                            .fieldSelector("metadata.name=" + name)
                            .execute())
                == 200);
  }

  private void revoke(String user) throws ApiException {
    RbacAuthorizationV1Api rbac = new RbacAuthorizationV1Api(admin);
    rbac.deleteClusterRoleBinding(user).execute();
    rbac.deleteClusterRole(user).execute();
  }

  private V1MutatingWebhook entry(String entryName) {
    return server.podCreateWebhook(
        entryName, "https://127.0.0.1:1/" + entryName, Map.of("acr-wrk-select", run));
  }

  private boolean is(String name, String entry, String policy, int timeout) throws ApiException {
    try {
      return admission.readMutatingWebhookConfiguration(name).execute().getWebhooks().stream()
          .anyMatch(
              h ->
                  entry.equals(h.getName())
                      && policy.equals(h.getFailurePolicy())
                      && Integer.valueOf(timeout).equals(h.getTimeoutSeconds()));
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private void patch(String name, String policy, int timeout) throws ApiException {
    V1MutatingWebhookConfiguration c = admission.readMutatingWebhookConfiguration(name).execute();
    c.getWebhooks().stream()
        .filter(h -> ENTRY.equals(h.getName()))
        .forEach(h -> h.failurePolicy(policy).timeoutSeconds(timeout));
    admission.replaceMutatingWebhookConfiguration(name, c).execute();
  }

  private String resourceVersion(String name) throws ApiException {
    return admission
        .readMutatingWebhookConfiguration(name)
        .execute()
        .getMetadata()
        .getResourceVersion();
  }

  private static int catchCode(Callable<?> call) throws Exception {
    try {
      call.call();
      return 200;
    } catch (ApiException e) {
      return e.getCode();
    }
  }

  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.call()) {
      assertThat(System.nanoTime()).as("timed out waiting: " + what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
