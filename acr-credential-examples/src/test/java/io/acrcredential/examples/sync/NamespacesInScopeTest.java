package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.config.LabelSelector;
import io.acrcredential.k8s.config.NamespaceScope;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NamespaceList;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * The refresher counts the namespaces in scope in pages (a whole list of a large cluster, as
 * client-java decodes it, was its start-up memory peak), and still sees every page.
 */
class NamespacesInScopeTest {

  private static V1Namespace ns(String name, String team, boolean terminating) {
    return new V1Namespace()
        .metadata(
            new V1ObjectMeta()
                .name(name)
                .labels(Map.of("team", team))
                .deletionTimestamp(
                    terminating ? OffsetDateTime.parse("2026-12-05T01:00:00Z") : null));
  }

  @Test
  void everyPageIsReadAndOnlyLiveNamespacesInScopeCount() {
    List<List<V1Namespace>> pages =
        List.of(
            List.of(ns("a", "in", false), ns("b", "out", false)),
            List.of(ns("c", "in", true), ns("d", "in", false)),
            List.of(ns("e", "in", false)));
    List<HttpUrl> asked = new ArrayList<>();
    OkHttpClient http =
        new OkHttpClient.Builder()
            .addInterceptor(
                chain -> {
                  HttpUrl url = chain.request().url();
                  asked.add(url);
                  String token = url.queryParameter("continue");
                  int page = token == null ? 0 : Integer.parseInt(token.substring(4));
                  V1NamespaceList list =
                      new V1NamespaceList()
                          .metadata(
                              new V1ListMeta()
                                  ._continue(page + 1 < pages.size() ? "page" + (page + 1) : null))
                          .items(pages.get(page));
                  return new Response.Builder()
                      .request(chain.request())
                      .protocol(Protocol.HTTP_1_1)
                      .code(200)
                      .message("OK")
                      .body(
                          ResponseBody.create(
                              JSON.serialize(list), MediaType.get("application/json")))
                      .build();
                })
            .build();
    ApiClient client = new ApiClient(http);
    client.setBasePath("https://127.0.0.1:6443");

    assertThat(
            Refresher.namespacesInScope(
                client, NamespaceScope.matching(LabelSelector.parse("team=in")), 2))
        .containsExactly("a", "d", "e");
    assertThat(asked).hasSize(3);
    assertThat(asked).allSatisfy(u -> assertThat(u.queryParameter("limit")).isEqualTo("2"));
    assertThat(asked)
        .extracting(u -> u.queryParameter("continue"))
        .containsExactly(null, "page1", "page2");
    assertThat(Refresher.NAMESPACE_PAGE).isEqualTo(500);
  }
}
