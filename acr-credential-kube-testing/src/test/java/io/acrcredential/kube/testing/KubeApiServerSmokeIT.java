package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NamespaceList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1SecretList;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import io.kubernetes.client.util.generic.GenericKubernetesApi;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The harness against the real API server: CRUD, informers, conflicts, RBAC, controllers. */
@WithKubeApiServer
class KubeApiServerSmokeIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private final LocalKubeApiServer server;
  private final CoreV1Api admin;

  KubeApiServerSmokeIT(LocalKubeApiServer server, ApiClient adminClient) {
    this.server = server;
    this.admin = new CoreV1Api(adminClient);
  }

  @Test
  void informerSeesNewNamespaceAndSecret() throws Exception {
    // Informers get their own client: the factory sets its read timeout to infinite.
    ApiClient informerClient = server.adminClient();
    SharedInformerFactory factory = new SharedInformerFactory(informerClient);
    BlockingQueue<String> namespaces = new LinkedBlockingQueue<>();
    BlockingQueue<String> secrets = new LinkedBlockingQueue<>();
    try {
      SharedIndexInformer<V1Namespace> namespaceInformer =
          factory.sharedIndexInformerFor(
              new GenericKubernetesApi<>(
                  V1Namespace.class, V1NamespaceList.class, "", "v1", "namespaces", informerClient),
              V1Namespace.class,
              0);
      namespaceInformer.addEventHandler(onAdd(ns -> namespaces.add(ns.getMetadata().getName())));
      SharedIndexInformer<V1Secret> secretInformer =
          factory.sharedIndexInformerFor(
              new GenericKubernetesApi<>(
                  V1Secret.class, V1SecretList.class, "", "v1", "secrets", informerClient),
              V1Secret.class,
              0);
      secretInformer.addEventHandler(
          onAdd(
              secret ->
                  secrets.add(
                      secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName())));
      factory.startAllRegisteredInformers();

      String namespace = server.createNamespace("informer");
      awaitElement(namespaces, namespace::equals, "namespace " + namespace + " via informer");

      admin
          .createNamespacedSecret(
              namespace,
              new V1Secret()
                  .metadata(new V1ObjectMeta().name("pull"))
                  .type("kubernetes.io/dockerconfigjson")
                  .data(
                      Map.of(
                          ".dockerconfigjson", "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8))))
          .execute();
      awaitElement(
          secrets, (namespace + "/pull")::equals, "secret " + namespace + "/pull via informer");

      V1Secret cached = secretInformer.getIndexer().getByKey(namespace + "/pull");
      assertThat(cached).isNotNull();
      assertThat(cached.getType()).isEqualTo("kubernetes.io/dockerconfigjson");
    } finally {
      factory.stopAllRegisteredInformers(true);
      informerClient.getHttpClient().dispatcher().executorService().shutdown();
      informerClient.getHttpClient().connectionPool().evictAll();
    }
  }

  @Test
  void imagePullSecretsAreReplacedWithReadModifyReplaceAndStaleUpdatesConflict() throws Exception {
    String namespace = server.createNamespace("pull");
    admin
        .createNamespacedServiceAccount(
            namespace,
            new V1ServiceAccount()
                .metadata(new V1ObjectMeta().name("builder"))
                .imagePullSecrets(List.of(new V1LocalObjectReference().name("existing"))))
        .execute();

    V1ServiceAccount read = admin.readNamespacedServiceAccount("builder", namespace).execute();
    String staleVersion = read.getMetadata().getResourceVersion();
    List<V1LocalObjectReference> refs = new ArrayList<>(read.getImagePullSecrets());
    refs.add(new V1LocalObjectReference().name("acr-pull"));
    read.setImagePullSecrets(refs);
    V1ServiceAccount replaced =
        admin.replaceNamespacedServiceAccount("builder", namespace, read).execute();

    assertThat(replaced.getImagePullSecrets())
        .extracting(V1LocalObjectReference::getName)
        .containsExactly("existing", "acr-pull");
    assertThat(replaced.getMetadata().getResourceVersion()).isNotEqualTo(staleVersion);

    V1ServiceAccount stale =
        new V1ServiceAccount()
            .metadata(new V1ObjectMeta().name("builder").resourceVersion(staleVersion))
            .imagePullSecrets(List.of());
    assertThatThrownBy(
            () -> admin.replaceNamespacedServiceAccount("builder", namespace, stale).execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThat(
            admin
                .readNamespacedServiceAccount("builder", namespace)
                .execute()
                .getImagePullSecrets())
        .extracting(V1LocalObjectReference::getName)
        .containsExactly("existing", "acr-pull");
  }

  @Test
  void rbacGrantsWhatTheManifestSaysAndNothingElse() throws Exception {
    String namespace = server.createNamespace("rbac");
    String other = server.createNamespace("rbac-other");
    server.createFromYaml(
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: refresher
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: secret-reader
        rules:
        - apiGroups: [""]
          resources: ["secrets"]
          verbs: ["get", "list"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: refresher-reads-secrets
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: Role
          name: secret-reader
        subjects:
        - kind: ServiceAccount
          name: refresher
          namespace: %s
        - kind: User
          name: alice
          apiGroup: rbac.authorization.k8s.io
        """
            .formatted(namespace),
        namespace);

    for (ApiClient client :
        List.of(server.clientFor(namespace, "refresher"), server.clientForUser("alice"))) {
      CoreV1Api restricted = new CoreV1Api(client);
      assertThat(restricted.listNamespacedSecret(namespace).execute().getItems()).isNotNull();
      assertForbidden(
          () ->
              restricted
                  .createNamespacedSecret(
                      namespace, new V1Secret().metadata(new V1ObjectMeta().name("nope")))
                  .execute());
      assertForbidden(() -> restricted.listNamespacedSecret(other).execute());
      assertForbidden(() -> restricted.listNamespacedServiceAccount(namespace).execute());
    }
    assertForbidden(
        () -> new CoreV1Api(server.clientForUser("bob")).listNamespacedSecret(namespace).execute());
  }

  @Test
  void kubeconfigFilesAuthenticateChildProcesses() throws Exception {
    String namespace = server.createNamespace("kubeconfig");
    server.createFromYaml(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: runner\n", namespace);

    CoreV1Api asAdmin = new CoreV1Api(fromKubeconfig(server.kubeconfig()));
    assertThat(asAdmin.listNamespace().execute().getItems())
        .extracting(ns -> ns.getMetadata().getName())
        .contains(namespace);
    CoreV1Api asRunner = new CoreV1Api(fromKubeconfig(server.kubeconfigFor(namespace, "runner")));
    assertForbidden(() -> asRunner.listNamespace().execute());
  }

  @Test
  void manifestWithUnsupportedKindIsRejectedByName() {
    assertThatThrownBy(
            () ->
                server.createFromYaml(
                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n",
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported kind in manifest: Pod p");
  }

  @Test
  void unknownServiceAccountIsAClearError() {
    String namespace = server.createNamespace("nosa");
    assertThatThrownBy(() -> server.clientFor(namespace, "missing"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(namespace + "/missing does not exist");
  }

  @Test
  void controllerManagerCreatesDefaultServiceAccountAndFinalizesNamespaces() throws Exception {
    assertThat(server.hasControllerManager())
        .as("kube-controller-manager should be built by test-infra/kube/build.sh")
        .isTrue();
    String namespace = server.createNamespace("lifecycle");
    awaitTrue(
        () -> exists(() -> admin.readNamespacedServiceAccount("default", namespace).execute()),
        "default ServiceAccount in " + namespace);

    admin.deleteNamespace(namespace).execute();
    awaitTrue(
        () -> !exists(() -> admin.readNamespace(namespace).execute()),
        "namespace " + namespace + " to be finalized");
  }

  // ---- helpers ----

  private static ApiClient fromKubeconfig(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file)) {
      return ClientBuilder.kubeconfig(KubeConfig.loadKubeConfig(reader)).build();
    }
  }

  private interface Call {
    Object run() throws ApiException;
  }

  private static void assertForbidden(Call call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }

  private static boolean exists(Call call) {
    try {
      call.run();
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw new AssertionError("unexpected HTTP " + e.getCode(), e);
    }
  }

  /** Polls real server state (no fake clock exists for the controllers) until true or timeout. */
  private static void awaitTrue(BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  private static void awaitElement(
      BlockingQueue<String> queue, Predicate<String> wanted, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (next == null) {
        fail("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
      }
      if (wanted.test(next)) {
        return;
      }
    }
  }

  private static <T extends KubernetesObject> ResourceEventHandler<T> onAdd(Consumer<T> added) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        added.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {}

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }
}
