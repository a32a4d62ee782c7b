package io.acrcredential.kube.testing;

import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.apis.NetworkingV1Api;
import io.kubernetes.client.openapi.apis.RbacAuthorizationV1Api;
import io.kubernetes.client.openapi.models.V1ClusterRole;
import io.kubernetes.client.openapi.models.V1ClusterRoleBinding;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Role;
import io.kubernetes.client.openapi.models.V1RoleBinding;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicy;
import io.kubernetes.client.openapi.models.V1ValidatingAdmissionPolicyBinding;
import io.kubernetes.client.util.Yaml;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates the objects of a multi-document YAML manifest, for the kinds an RBAC/deployment manifest
 * of this project contains. Namespaced objects without a namespace get the default namespace.
 */
final class ManifestApplier {

  private final CoreV1Api core;
  private final RbacAuthorizationV1Api rbac;
  private final AdmissionregistrationV1Api admission;
  private final NetworkingV1Api networking;

  ManifestApplier(ApiClient admin) {
    this.core = new CoreV1Api(admin);
    this.rbac = new RbacAuthorizationV1Api(admin);
    this.admission = new AdmissionregistrationV1Api(admin);
    this.networking = new NetworkingV1Api(admin);
  }

  List<KubernetesObject> createAll(String yaml, String defaultNamespace) {
    List<Object> documents;
    try {
      documents = Yaml.loadAll(yaml);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "the manifest is not valid Kubernetes YAML: " + e.getMessage(), e);
    }
    List<KubernetesObject> created = new ArrayList<>();
    for (Object document : documents) {
      if (document == null) {
        continue;
      }
      created.add(create(document, defaultNamespace));
    }
    return created;
  }

  private KubernetesObject create(Object document, String defaultNamespace) {
    String description = describe(document);
    try {
      if (document instanceof V1Namespace namespace) {
        return core.createNamespace(namespace).execute();
      }
      if (document instanceof V1ClusterRole role) {
        return rbac.createClusterRole(role).execute();
      }
      if (document instanceof V1ClusterRoleBinding binding) {
        return rbac.createClusterRoleBinding(binding).execute();
      }
      if (document instanceof V1ServiceAccount account) {
        return core.createNamespacedServiceAccount(namespace(account, defaultNamespace), account)
            .execute();
      }
      if (document instanceof V1Secret secret) {
        return core.createNamespacedSecret(namespace(secret, defaultNamespace), secret).execute();
      }
      if (document instanceof V1ConfigMap map) {
        return core.createNamespacedConfigMap(namespace(map, defaultNamespace), map).execute();
      }
      if (document instanceof V1Role role) {
        return rbac.createNamespacedRole(namespace(role, defaultNamespace), role).execute();
      }
      if (document instanceof V1ValidatingAdmissionPolicy policy) {
        return admission.createValidatingAdmissionPolicy(policy).execute();
      }
      if (document instanceof V1ValidatingAdmissionPolicyBinding binding) {
        return admission.createValidatingAdmissionPolicyBinding(binding).execute();
      }
      if (document instanceof V1NetworkPolicy policy) {
        return networking
            .createNamespacedNetworkPolicy(namespace(policy, defaultNamespace), policy)
            .execute();
      }
      if (document instanceof V1RoleBinding binding) {
        return rbac.createNamespacedRoleBinding(namespace(binding, defaultNamespace), binding)
            .execute();
      }
    } catch (ApiException e) {
      throw new IllegalStateException(
          "creating "
              + description
              + " failed with HTTP "
              + e.getCode()
              + ": "
              + e.getResponseBody(),
          e);
    }
    throw new IllegalArgumentException(
        "unsupported kind in manifest: "
            + description
            + " (supported: Namespace, ServiceAccount, Secret, ConfigMap, Role, RoleBinding,"
            + " ClusterRole, ClusterRoleBinding, ValidatingAdmissionPolicy(Binding),"
            + " NetworkPolicy)");
  }

  private static String namespace(KubernetesObject object, String defaultNamespace) {
    V1ObjectMeta metadata = object.getMetadata();
    if (metadata == null) {
      throw new IllegalArgumentException(object.getKind() + " in the manifest has no metadata");
    }
    if (metadata.getNamespace() == null || metadata.getNamespace().isBlank()) {
      if (defaultNamespace == null) {
        throw new IllegalArgumentException(
            object.getKind()
                + " "
                + metadata.getName()
                + " has no metadata.namespace and no default namespace was given");
      }
      metadata.setNamespace(defaultNamespace);
    }
    return metadata.getNamespace();
  }

  private static String describe(Object document) {
    if (document instanceof KubernetesObject object) {
      String name = object.getMetadata() == null ? null : object.getMetadata().getName();
      return object.getKind() + " " + name;
    }
    return document.getClass().getSimpleName();
  }
}
