package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ManagedFieldsEntry;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NamespaceList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1SecretList;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1ServiceAccountList;
import io.kubernetes.client.util.CallGeneratorParams;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * The informers' list, decoded item by item and trimmed as it is read: the same objects the cache
 * would have kept after client-java's decoding and the informer's transform, and the same errors.
 */
class ReleasingListerWatcherTest {

  private static final String TOKEN = "eyJ0b2tlbi1zZWNyZXQiOiJub3QtaW4tdGhlLWxpc3QifQ";
  private static final CallGeneratorParams LIST = new CallGeneratorParams(false, null, null);

  private static List<V1ManagedFieldsEntry> managedFields() {
    return List.of(
        new V1ManagedFieldsEntry()
            .manager("kubectl")
            .operation("Update")
            .fieldsType("FieldsV1")
            .fieldsV1(Map.of("f:metadata", Map.of("f:labels", Map.of("f:team", Map.of())))));
  }

  private static V1Secret secret(String ns) {
    return new V1Secret()
        .apiVersion("v1")
        .kind("Secret")
        .type(NamespaceReconciler.SECRET_TYPE)
        .metadata(
            new V1ObjectMeta()
                .name("pull")
                .namespace(ns)
                .uid("uid-" + ns)
                .resourceVersion("7")
                .creationTimestamp(OffsetDateTime.parse("2026-12-05T01:00:00Z"))
                .labels(Map.of("team", ns))
                .annotations(Map.of("a", "b"))
                .managedFields(managedFields()))
        .data(
            Map.of(
                NamespaceReconciler.DATA_KEY,
                ("{\"auths\":{\"r\":{\"password\":\"" + TOKEN + "\"}}}")
                    .getBytes(StandardCharsets.UTF_8)));
  }

  private static V1ServiceAccount serviceAccount(String ns) {
    return new V1ServiceAccount()
        .apiVersion("v1")
        .kind("ServiceAccount")
        .metadata(
            new V1ObjectMeta()
                .name("default")
                .namespace(ns)
                .uid("sa-" + ns)
                .resourceVersion("8")
                .managedFields(managedFields()))
        .imagePullSecrets(List.of(new V1LocalObjectReference().name("pull")));
  }

  @Test
  void secretsAreTrimmedAsTheyAreDecodedLikeTheCacheWouldKeepThem() throws Exception {
    List<V1Secret> served = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      served.add(secret("team-" + i));
    }
    String body =
        JSON.serialize(
            new V1SecretList()
                .apiVersion("v1")
                .kind("SecretList")
                .metadata(new V1ListMeta().resourceVersion("42").remainingItemCount(0L))
                .items(served));
    ApiClient client = client(200, body);
    CoreV1Api api = new CoreV1Api(client);
    ReleasingListerWatcher<V1Secret, V1SecretList> lw =
        new ReleasingListerWatcher<>(
            client,
            p -> api.listSecretForAllNamespaces().buildCall(null),
            V1Secret.class,
            V1SecretList.class,
            new ListGate());

    V1SecretList listed = lw.list(LIST);

    assertThat(listed.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(listed.getMetadata().getRemainingItemCount()).isZero();
    assertThat(listed.getKind()).isEqualTo("SecretList");
    assertThat(listed.getItems()).hasSize(50);
    for (int i = 0; i < 50; i++) {
      V1Secret item = listed.getItems().get(i);
      // what client-java's decoding and then the informer's transform would have kept
      V1Secret expected =
          SecretDigest.trim(JSON.deserialize(JSON.serialize(served.get(i)), V1Secret.class));
      assertThat(item).usingRecursiveComparison().isEqualTo(expected);
      assertThat(SecretDigest.isTrimmed(item)).as("no token in the listed item").isTrue();
      assertThat(item.getMetadata().getManagedFields()).isNull();
      assertThat(item.getMetadata().getUid()).isEqualTo("uid-team-" + i);
      // the informer's own transform changes nothing any more
      assertThat(CacheTrim.SECRETS.transform(item)).usingRecursiveComparison().isEqualTo(expected);
    }
  }

  @Test
  void serviceAccountsAndNamespacesLoseWhatTheCacheDropsWhileDecoded() throws Exception {
    String sas =
        JSON.serialize(
            new V1ServiceAccountList()
                .metadata(new V1ListMeta().resourceVersion("5"))
                .items(List.of(serviceAccount("a"), serviceAccount("b"))));
    ApiClient client = client(200, sas);
    CoreV1Api api = new CoreV1Api(client);
    V1ServiceAccountList listed =
        new ReleasingListerWatcher<>(
                client,
                p -> api.listServiceAccountForAllNamespaces().buildCall(null),
                V1ServiceAccount.class,
                V1ServiceAccountList.class,
                new ListGate())
            .list(LIST);
    assertThat(listed.getMetadata().getResourceVersion()).isEqualTo("5");
    assertThat(listed.getItems())
        .extracting(sa -> sa.getMetadata().getNamespace())
        .containsExactly("a", "b");
    assertThat(listed.getItems())
        .allSatisfy(
            sa -> {
              assertThat(sa.getMetadata().getManagedFields()).isNull();
              assertThat(sa.getMetadata().getUid()).isNull();
              assertThat(sa.getImagePullSecrets())
                  .extracting(V1LocalObjectReference::getName)
                  .containsExactly("pull");
            });

    String namespaces =
        JSON.serialize(
            new V1NamespaceList()
                .metadata(new V1ListMeta().resourceVersion("6"))
                .items(
                    List.of(
                        new V1Namespace()
                            .metadata(
                                new V1ObjectMeta()
                                    .name("a")
                                    .uid("u")
                                    .labels(Map.of("env", "prod"))
                                    .annotations(Map.of("big", "x".repeat(1000)))
                                    .managedFields(managedFields())))));
    ApiClient nsClient = client(200, namespaces);
    CoreV1Api nsApi = new CoreV1Api(nsClient);
    V1Namespace ns =
        new ReleasingListerWatcher<>(
                nsClient,
                p -> nsApi.listNamespace().buildCall(null),
                V1Namespace.class,
                V1NamespaceList.class,
                new ListGate())
            .list(LIST)
            .getItems()
            .get(0);
    assertThat(ns.getMetadata().getName()).isEqualTo("a");
    assertThat(ns.getMetadata().getLabels()).isEqualTo(Map.of("env", "prod"));
    assertThat(ns.getMetadata().getAnnotations()).isNull();
    assertThat(ns.getMetadata().getManagedFields()).isNull();
  }

  @Test
  void aRefusedOrBrokenListIsTheSameApiExceptionAndFreesTheGate() {
    String gone =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old"
            + " resource version\",\"reason\":\"Expired\",\"code\":410}";
    ApiClient client = client(410, gone);
    CoreV1Api api = new CoreV1Api(client);
    ListGate gate = new ListGate();
    ReleasingListerWatcher<V1Secret, V1SecretList> lw =
        new ReleasingListerWatcher<>(
            client,
            p -> api.listSecretForAllNamespaces().buildCall(null),
            V1Secret.class,
            V1SecretList.class,
            gate);
    assertThatThrownBy(() -> lw.list(LIST))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(410);
              assertThat(e.getResponseBody()).contains("too old resource version");
            });
    assertThat(gate.held()).isFalse();

    String cut = JSON.serialize(new V1SecretList().items(List.of(secret("a"), secret("b"))));
    ApiClient truncated = client(200, cut.substring(0, cut.length() / 2));
    CoreV1Api truncatedApi = new CoreV1Api(truncated);
    ReleasingListerWatcher<V1Secret, V1SecretList> broken =
        new ReleasingListerWatcher<>(
            truncated,
            p -> truncatedApi.listSecretForAllNamespaces().buildCall(null),
            V1Secret.class,
            V1SecretList.class,
            gate);
    assertThatThrownBy(() -> broken.list(LIST))
        .isInstanceOf(ApiException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN));
    assertThat(gate.held()).isFalse();
  }

  /** Answers every request with this status and body. */
  private static ApiClient client(int code, String body) {
    OkHttpClient http =
        new OkHttpClient.Builder()
            .addInterceptor(
                chain ->
                    new Response.Builder()
                        .request(chain.request())
                        .protocol(Protocol.HTTP_1_1)
                        .code(code)
                        .message(code == 200 ? "OK" : "Gone")
                        .body(ResponseBody.create(body, MediaType.get("application/json")))
                        .build())
            .build();
    ApiClient client = new ApiClient(http);
    client.setBasePath("https://127.0.0.1:6443");
    return client;
  }
}
