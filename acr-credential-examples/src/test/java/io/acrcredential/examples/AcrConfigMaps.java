package io.acrcredential.examples;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.util.Map;

/** The {@code acr-configuration} ConfigMaps the refresher ITs run {@code sync} against. */
public final class AcrConfigMaps {

  static final String NAME = "acr-configuration";

  private AcrConfigMaps() {}

  /** An {@code acr-registry-info} value with one Enterprise Edition instance and its domain. */
  public static String registryInfo(String instanceId, String domain) {
    return "- instanceId: \""
        + instanceId
        + "\"\n  regionId: \"cn-hangzhou\"\n  domains: \""
        + domain
        + "\"\n";
  }

  /**
   * Creates a namespace named after {@code prefix} holding the ConfigMap; returns the namespace.
   */
  public static String create(LocalKubeApiServer server, String prefix, Map<String, String> data)
      throws ApiException {
    String ns = server.createNamespace(prefix);
    new CoreV1Api(server.adminClient())
        .createNamespacedConfigMap(
            ns, new V1ConfigMap().metadata(new V1ObjectMeta().name(NAME)).data(data))
        .execute();
    return ns;
  }

  /** Replaces the ConfigMap's data, as an administrator editing it would. */
  public static void replace(CoreV1Api core, String ns, Map<String, String> data)
      throws ApiException {
    V1ConfigMap cm = core.readNamespacedConfigMap(NAME, ns).execute();
    cm.setData(data);
    core.replaceNamespacedConfigMap(NAME, ns, cm).execute();
  }
}
