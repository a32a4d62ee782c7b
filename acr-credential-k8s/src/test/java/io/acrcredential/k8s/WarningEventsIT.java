package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one Warning Event recorder of the library, on a real API server: the sync's (once per object
 * version, reason and message; nothing while its fence is closed) and the embedder's unfenced one
 * (every call, leading or not), both cutting long messages and never throwing when a write fails.
 */
@WithKubeApiServer
class WarningEventsIT {

  private final LocalKubeApiServer server;
  private final ApiClient admin;
  private final CoreV1Api core;

  WarningEventsIT(LocalKubeApiServer server) {
    this.server = server;
    this.admin = server.adminClient();
    this.core = new CoreV1Api(admin);
  }

  @Test
  void theUnfencedRecorderWritesEveryCallAndCutsLongMessages() throws Exception {
    String ns = server.createNamespace("wev");
    V1ObjectReference cm = configMap(ns, "acr-configuration");
    WarningEvents events = WarningEvents.unfenced(admin, "acr-credential", "replica-1");

    events.warn(ns, cm, "InvalidConfiguration", "fix acr-registry-info");
    events.warn(ns, cm, "InvalidConfiguration", "fix acr-registry-info");
    events.warn(ns, cm, "TokenRefreshFailed", "x".repeat(5000));

    List<CoreV1Event> written = events(ns);
    assertThat(written)
        .filteredOn(e -> "InvalidConfiguration".equals(e.getReason()))
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage()).isEqualTo("fix acr-registry-info");
              assertThat(e.getSource().getComponent()).isEqualTo("acr-credential");
              assertThat(e.getReportingComponent()).isEqualTo("acr-credential");
              assertThat(e.getReportingInstance()).isEqualTo("replica-1");
              assertThat(e.getInvolvedObject().getName()).isEqualTo("acr-configuration");
              assertThat(e.getInvolvedObject().getUid()).isEqualTo(cm.getUid());
            });
    assertThat(written)
        .filteredOn(e -> "TokenRefreshFailed".equals(e.getReason()))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).hasSize(1000).endsWith("...").startsWith("xxx"));
  }

  @Test
  void theSyncsRecorderWritesOncePerKeyAndNothingWhileItsFenceIsClosed() throws Exception {
    String ns = server.createNamespace("wev");
    V1ObjectReference cm = configMap(ns, "clash");
    WriteFence fence = WriteFence.unelected();
    WarningEvents events =
        WarningEvents.fenced(
            core, "acr-credential-sync", "i-1", new WriteLimiter(1000, 1000), fence);

    events.report(ns, cm, "NameClash", "not ours");
    assertThat(events(ns)).as("not leading: nothing written").isEmpty();

    fence.lead();
    events.report(ns, cm, "NameClash", "not ours");
    events.report(ns, cm, "NameClash", "not ours");
    assertThat(events(ns))
        .as("once per key, and the one dropped by the fence is not lost")
        .hasSize(1);

    events.report(ns, cm, "NameClash", "another reason");
    cm.resourceVersion(cm.getResourceVersion() + "0");
    events.report(ns, cm, "NameClash", "not ours");
    assertThat(events(ns)).as("a new message or object version is news").hasSize(3);

    fence.stopLeading();
    events.report(ns, cm, "NameClash", "while deposed");
    assertThat(events(ns)).hasSize(3);
  }

  @Test
  void aDeniedWriteIsLoggedNotThrown() throws Exception {
    String ns = server.createNamespace("wev");
    V1ObjectReference cm = configMap(ns, "acr-configuration");
    WarningEvents denied =
        WarningEvents.unfenced(server.clientForUser("nobody-" + ns), "acr-credential", "r");

    denied.warn(ns, cm, "InvalidConfiguration", "fix it");

    assertThat(events(ns)).isEmpty();
  }

  private V1ObjectReference configMap(String ns, String name) throws Exception {
    V1ConfigMap made =
        core.createNamespacedConfigMap(
                ns, new V1ConfigMap().metadata(new V1ObjectMeta().name(name)).putDataItem("k", "v"))
            .execute();
    return new V1ObjectReference()
        .apiVersion("v1")
        .kind("ConfigMap")
        .namespace(ns)
        .name(name)
        .uid(made.getMetadata().getUid())
        .resourceVersion(made.getMetadata().getResourceVersion());
  }

  private List<CoreV1Event> events(String ns) throws Exception {
    return core.listNamespacedEvent(ns).execute().getItems();
  }
}
