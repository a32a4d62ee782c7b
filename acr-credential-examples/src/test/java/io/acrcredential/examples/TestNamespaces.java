package io.acrcredential.examples;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.List;
import java.util.Map;

/** Namespaces and ServiceAccounts as the examples' ITs need them, made on the real API server. */
public final class TestNamespaces {

  private TestNamespaces() {}

  /** A new namespace with ServiceAccounts {@code default} and {@code builder}. */
  public static String withDefaultAndBuilder(
      LocalKubeApiServer server, CoreV1Api core, String prefix) throws ApiException {
    String ns = server.createNamespace(prefix);
    for (String sa : List.of("default", "builder")) {
      ensureServiceAccount(core, ns, sa);
    }
    return ns;
  }

  /** A new namespace named {@code prefix} and a random suffix, with these labels. */
  public static String generate(CoreV1Api core, String prefix, Map<String, String> labels)
      throws ApiException {
    return core.createNamespace(
            new V1Namespace().metadata(new V1ObjectMeta().generateName(prefix).labels(labels)))
        .execute()
        .getMetadata()
        .getName();
  }

  /** Creates the namespace unless it exists. */
  public static void ensureNamespace(CoreV1Api core, String name) throws ApiException {
    try {
      core.createNamespace(new V1Namespace().metadata(new V1ObjectMeta().name(name))).execute();
    } catch (ApiException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** Creates the ServiceAccount unless it exists (the controller manager may make "default"). */
  public static void ensureServiceAccount(CoreV1Api core, String ns, String name)
      throws ApiException {
    try {
      core.createNamespacedServiceAccount(
              ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name(name)))
          .execute();
    } catch (ApiException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }
}
