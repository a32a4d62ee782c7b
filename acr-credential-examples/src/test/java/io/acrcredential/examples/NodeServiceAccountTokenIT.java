package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Path 5, the service-account token mode (KEP-4412), on a real node: the kubelet runs the shipped
 * provider with the shipped {@code tokenAttributes} block switched on, requests a token of each
 * Pod's ServiceAccount for the STS audience and passes it, with the ServiceAccount's annotations,
 * to the plugin. A Pod of a ServiceAccount annotated with a RAM role pulls as that role: the fake
 * STS sees that Pod's ServiceAccount token in {@code AssumeRoleWithOIDC} (it accepts only tokens
 * this API server signed for that ServiceAccount). The node itself has no RAM role, so a Pod of
 * another ServiceAccount, or of the same ServiceAccount name in another namespace, pulls with
 * nothing the kubelet's cache kept from the first one: 401.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeServiceAccountTokenIT {

  static final String ROLE = "acs:ram::1234567890123456:role/team-puller";
  static final String PROVIDER = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-node";
  static final String AUDIENCE = "sts.aliyuncs.com";
  static final AcrInstance INSTANCE = AcrInstance.of("cri-nodesatoken01", "satoken", "cn-hangzhou");
  static final ObjectMapper JSON = new ObjectMapper();

  private Path tmp;
  private LocalKubeApiServer server;
  private LocalNode node;
  private FakeAlibabaCloud cloud;
  private NodeRegistry registry;
  private PublicKey serviceAccountKey;
  private volatile String trustedSubject = "none";

  @BeforeAll
  void startNode() throws Exception {
    NodeFixture.requireNode();
    tmp = Files.createTempDirectory("acr-node-satoken-");
    cloud = FakeAlibabaCloud.start(); // no RAM role on the node: only Pod identities can pull
    cloud.acr().addInstance(INSTANCE);

    Path bin = SyncProcess.installNodeBundle(tmp.resolve("opt-acr-credential"));
    String shipped = NodeFixture.shippedProviderConfig();
    String commented =
        "    # tokenAttributes:\n"
            + "    #   serviceAccountTokenAudience: sts.aliyuncs.com\n"
            + "    #   requireServiceAccount: false\n"
            + "    #   optionalServiceAccountAnnotationKeys:\n"
            + "    #     - acr-credential.io/role-arn\n"
            + "    #     - acr-credential.io/oidc-provider-arn\n"
            + "    #     - acr-credential.io/role-session-name\n";
    assertThat(shipped).contains(commented);
    String enabled =
        commented.replace("    # ", "    ").replace("    #", "    ")
            // Kubernetes 1.34 requires the cache key type with tokenAttributes.
            + "      cacheType: ServiceAccount\n";
    Path config = tmp.resolve("credential-provider-config.yaml");
    Files.writeString(
        config,
        NodeFixture.withCacheDir(shipped, tmp.resolve("token-cache")).replace(commented, enabled));

    server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
    // ServiceAccountNodeAudienceRestriction: nodes may request tokens for the STS audience.
    server.createFromYaml(
        "apiVersion: rbac.authorization.k8s.io/v1\n"
            + "kind: ClusterRole\n"
            + "metadata:\n  name: acr-node-sts-audience\n"
            + "rules:\n"
            + "- apiGroups: [\"\"]\n"
            + "  resources: [\""
            + AUDIENCE
            + "\"]\n"
            + "  verbs: [\"request-serviceaccounts-token-audience\"]\n"
            + "---\n"
            + "apiVersion: rbac.authorization.k8s.io/v1\n"
            + "kind: ClusterRoleBinding\n"
            + "metadata:\n  name: acr-node-sts-audience\n"
            + "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n"
            + "  name: acr-node-sts-audience\n"
            + "subjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n"
            + "  name: system:nodes\n",
        null);
    serviceAccountKey =
        KeyFactory.getInstance("EC")
            .generatePublic(
                new X509EncodedKeySpec(
                    Base64.getMimeDecoder()
                        .decode(
                            server
                                .serviceAccountPublicKeyPem()
                                .replace("-----BEGIN PUBLIC KEY-----", "")
                                .replace("-----END PUBLIC KEY-----", ""))));
    cloud.identities().trustOidcTokens(ROLE, PROVIDER, this::isTrustedToken);
    node =
        LocalNode.builder(server)
            .credentialProvider(config, bin)
            .kubeletEnvironment(NodeFixture.kubeletEnvironment(cloud, tmp.resolve("home"), true))
            .start();
    List<String> domains = new ArrayList<>(INSTANCE.internetDomains());
    registry =
        NodeRegistry.start(server, node, cloud.acr(), INSTANCE.instanceId(), "127.0.0.8", domains);
  }

  @AfterAll
  void stop() throws Exception {
    NodeFixture.closeAll(tmp, registry, node, server, cloud);
  }

  @Test
  void podsPullAsTheirServiceAccountsRoleAndNoOtherPodGetsThatCredential() throws Exception {
    CoreV1Api core = new CoreV1Api(server.adminClient());
    String domain = INSTANCE.internetDomains().get(0);
    String ns = server.createNamespace("satoken");
    String other = server.createNamespace("satoken-other");
    Map<String, String> annotations =
        Map.of("acr-credential.io/role-arn", ROLE, "acr-credential.io/oidc-provider-arn", PROVIDER);
    for (String namespace : List.of(ns, other)) {
      NodeRegistry.awaitDefaultServiceAccount(core, namespace);
      core.createNamespacedServiceAccount(
              namespace,
              new V1ServiceAccount()
                  .metadata(new V1ObjectMeta().name("puller").annotations(annotations)))
          .execute();
    }
    trustedSubject = "system:serviceaccount:" + ns + ":puller";

    V1Pod pod = NodeRegistry.pod(node, "as-role", registry.pushNew(domain, "team/app"));
    pod.getSpec().serviceAccountName("puller");
    NodeRegistry.createAndAwaitRunning(core, node, ns, pod);
    String seen =
        cloud.sts().lastRequest(FakeApi.ASSUME_ROLE_WITH_OIDC).orElseThrow().param("OIDCToken");
    JsonNode claims = claims(seen);
    assertThat(claims.get("sub").asText()).isEqualTo(trustedSubject);
    assertThat(claims.get("aud").toString()).contains(AUDIENCE);
    assertThat(claims.path("kubernetes.io").path("pod").path("name").asText()).isEqualTo("as-role");
    IssuedToken used = cloud.acr().issuedTokens().get(cloud.acr().issuedTokens().size() - 1);
    assertThat(used.principal()).isEqualTo(ROLE);

    // Same namespace, another ServiceAccount (no annotation: the node's identity, which has none).
    V1Pod plain = NodeRegistry.pod(node, "default-sa", registry.pushNew(domain, "team/app"));
    core.createNamespacedPod(ns, plain).execute();
    assertThat(node.awaitPullFailure(ns, "default-sa", NodeRegistry.POD_START))
        .contains("401 Unauthorized");

    // Another namespace, a ServiceAccount of the same name and annotations: STS refuses its token.
    V1Pod elsewhere = NodeRegistry.pod(node, "as-role", registry.pushNew(domain, "team/app"));
    elsewhere.getSpec().serviceAccountName("puller");
    core.createNamespacedPod(other, elsewhere).execute();
    assertThat(node.awaitPullFailure(other, "as-role", NodeRegistry.POD_START))
        .contains("401 Unauthorized");
    System.out.printf(
        "[node] service-account token mode: Pod of %s pulled as %s; another ServiceAccount and"
            + " another namespace got 401%n",
        trustedSubject, ROLE);
  }

  /** A token this API server signed for the trusted ServiceAccount, for the STS audience. */
  private boolean isTrustedToken(String token) {
    try {
      String[] parts = token.split("\\.");
      if (parts.length != 3) {
        return false;
      }
      Signature verify = Signature.getInstance("SHA256withECDSAinP1363Format");
      verify.initVerify(serviceAccountKey);
      verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (!verify.verify(Base64.getUrlDecoder().decode(parts[2]))) {
        return false;
      }
      JsonNode claims = claims(token);
      return trustedSubject.equals(claims.path("sub").asText())
          && claims.path("aud").toString().contains("\"" + AUDIENCE + "\"");
    } catch (Exception e) {
      return false;
    }
  }

  private static JsonNode claims(String token) throws Exception {
    return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
  }
}
