package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.NamespaceSyncResult;
import io.acrcredential.k8s.SyncListener;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The embedding example keeps Secrets in a real API server while sharing the host's client. */
@WithKubeApiServer
class EmbeddedOperatorExampleIT {

  @Test
  void runsInsideAHostOperatorAndLeavesItsClientUsable(LocalKubeApiServer server) throws Exception {
    ApiClient operatorClient = server.adminClient();
    CoreV1Api core = new CoreV1Api(operatorClient);
    String ns = server.createNamespace("embedded");
    core.createNamespacedServiceAccount(
            ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name("app")))
        .execute();
    List<NamespaceSyncResult> synced = new CopyOnWriteArrayList<>();
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
      cloud.identities().addAccessKey("LTAI5tEmbedded00001", "embeddedSecret0123456789");
      cloud.acr().addInstance(AcrInstance.of("cri-embed001", "embed", "cn-hangzhou"));
      AcrConfiguration config =
          AcrConfiguration.builder()
              .namespaces(NamespaceScope.named(Set.of(ns)))
              .serviceAccounts(ServiceAccountScope.named(Set.of("app")))
              .addRegistry(
                  RegistryEntry.of(
                      RegistryTarget.enterprise("cn-hangzhou", "cri-embed001")
                          .withDomains(List.of("embed-registry.cn-hangzhou.cr.aliyuncs.com")),
                      IdentitySpec.defaultChain()))
              .build();
      RegistryTokenProviders tokens =
          RegistryTokenProviders.builder()
              .acrEndpoint("http://" + cloud.acr().endpoint())
              .stsEndpoint("http://" + cloud.sts().endpoint())
              .metadataEndpoint("http://" + cloud.metadata().endpoint())
              .environment(
                  Map.of(
                      "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tEmbedded00001",
                      "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "embeddedSecret0123456789"))
              .build();
      try (EmbeddedOperatorExample sync =
          new EmbeddedOperatorExample(
              operatorClient,
              tokens,
              config,
              new SyncListener() {
                @Override
                public void namespaceSynced(NamespaceSyncResult result) {
                  synced.add(result);
                }
              })) {
        sync.start();
        String secret = DockerConfig.secretName("embed-registry.cn-hangzhou.cr.aliyuncs.com");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (synced.stream().noneMatch(r -> r.namespace().equals(ns) && r.wroteAnything())) {
          assertThat(System.nanoTime()).as("synced within 30 s").isLessThan(deadline);
          Thread.sleep(100);
        }
        assertThat(core.readNamespacedSecret(secret, ns).execute().getType())
            .isEqualTo("kubernetes.io/dockerconfigjson");
        assertThat(core.readNamespacedServiceAccount("app", ns).execute().getImagePullSecrets())
            .anyMatch(r -> r.getName().equals(secret));
      }
    }
    // the host operator's client still works after the embedded sync was closed
    V1Namespace still = core.readNamespace(ns).execute();
    assertThat(still.getMetadata().getName()).isEqualTo(ns);
  }
}
