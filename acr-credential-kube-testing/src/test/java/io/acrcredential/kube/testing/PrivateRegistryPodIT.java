package io.acrcredential.kube.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeIdentities;
import io.acrcredential.testing.FakeRegistryTokenService;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1Secret;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The private registry behaves like ACR's towards a real kubelet: a Pod pulls with a pull Secret
 * holding a login the fake ACR issued, and without one, with a revoked one, an expired one or one
 * of another registry the kubelet reports 401. Personal and Enterprise Edition (internet and VPC)
 * host names.
 */
@WithLocalNode
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrivateRegistryPodIT {

  static final String REGION = "cn-hangzhou";
  static final String PERSONAL = "registry." + REGION + ".aliyuncs.com";
  static final AcrInstance INSTANCE = AcrInstance.of("cri-nodetest01", "nodetest", REGION);
  static final String ENTERPRISE = INSTANCE.internetDomains().get(0);
  static final String ENTERPRISE_VPC = INSTANCE.vpcDomains().get(0);
  static final Duration START = Duration.ofSeconds(90);

  private final LocalKubeApiServer server;
  private final LocalNode node;
  private final CoreV1Api api;
  private final AtomicInteger tags = new AtomicInteger();
  private FakeAcr acr;
  private FakeRegistryTokenService personalAuth;
  private FakeRegistryTokenService enterpriseAuth;
  private LocalRegistry personal;
  private LocalRegistry enterprise;
  private Path images;
  private String namespace;

  PrivateRegistryPodIT(LocalKubeApiServer server, LocalNode node) {
    this.server = server;
    this.node = node;
    this.api = new CoreV1Api(server.adminClient());
  }

  @BeforeAll
  void startRegistries() throws Exception {
    acr = FakeAcr.start(new FakeIdentities());
    acr.addInstance(INSTANCE);
    var signer = LocalRegistry.newSigningKey(server);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    personalAuth =
        FakeRegistryTokenService.start(
            acr, PERSONAL, null, signer.certificatePem(), signer.privateKeyPem(), loopback);
    enterpriseAuth =
        FakeRegistryTokenService.start(
            acr,
            ENTERPRISE,
            INSTANCE.instanceId(),
            signer.certificatePem(),
            signer.privateKeyPem(),
            loopback);
    personal =
        LocalRegistry.builder(server, node)
            .address("127.0.0.2")
            .hosts(PERSONAL)
            .tokenAuth(
                personalAuth.realm(), PERSONAL, personalAuth.issuer(), signer.certificatePem())
            .start();
    enterprise =
        LocalRegistry.builder(server, node)
            .address("127.0.0.3")
            .hosts(ENTERPRISE, ENTERPRISE_VPC)
            .tokenAuth(
                enterpriseAuth.realm(),
                ENTERPRISE,
                enterpriseAuth.issuer(),
                signer.certificatePem())
            .start();
    images = Files.createTempDirectory("acr-node-images-");
    namespace = server.createNamespace("pull");
  }

  @AfterAll
  void stop() {
    for (AutoCloseable closeable :
        new AutoCloseable[] {personal, enterprise, personalAuth, enterpriseAuth, acr}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception e) {
        // keep closing the others
      }
    }
    if (images != null) {
      HostChanges.deleteRecursively(images);
    }
  }

  @Test
  void personalEditionPodPullsWithAnIssuedLoginAndNotWithout() throws Exception {
    String image = pushNew(personal, PERSONAL + "/team/app", null);
    IssuedToken login = acr.issueLogin("pod-test", null);
    createSecret("personal-login", PERSONAL, login.username(), login.password());
    int granted = personalAuth.grantedCount();

    long started = System.nanoTime();
    createPod("with-secret", image, "personal-login");
    node.awaitRunning(namespace, "with-secret", START);
    System.out.printf(
        "private pull with a Secret: create -> Running %d ms%n",
        (System.nanoTime() - started) / 1_000_000);
    assertThat(personalAuth.grantedCount()).isGreaterThan(granted);

    createPod("anonymous", pushNew(personal, PERSONAL + "/team/app", null), null);
    assertThat(node.awaitPullFailure(namespace, "anonymous", START)).contains("401 Unauthorized");
  }

  @Test
  void revokedAndExpiredLoginsAreRefused() throws Exception {
    IssuedToken revoked = acr.issueLogin("pod-test", null);
    acr.revokeIssuedTokens();
    createSecret("revoked-login", PERSONAL, revoked.username(), revoked.password());
    createPod("revoked", pushNew(personal, PERSONAL + "/team/app", null), "revoked-login");
    assertThat(node.awaitPullFailure(namespace, "revoked", START)).contains("401 Unauthorized");

    acr.setTokenLifetime(Duration.ofSeconds(2));
    IssuedToken expiring = acr.issueLogin("pod-test", null);
    acr.setTokenLifetime(Duration.ofHours(1));
    String image = pushNew(personal, PERSONAL + "/team/app", null);
    Thread.sleep(Duration.between(java.time.Instant.now(), expiring.expiresAt()).toMillis() + 200);
    createSecret("expired-login", PERSONAL, expiring.username(), expiring.password());
    createPod("expired", image, "expired-login");
    assertThat(node.awaitPullFailure(namespace, "expired", START)).contains("401 Unauthorized");
  }

  @Test
  void enterpriseEditionAcceptsOnlyItsInstancesLogins() throws Exception {
    IssuedToken login = acr.issueLogin("pod-test", INSTANCE.instanceId());
    createSecret("ee-login", ENTERPRISE_VPC, login.username(), login.password());
    String vpcImage = pushNew(enterprise, ENTERPRISE_VPC + "/team/app", INSTANCE.instanceId());
    createPod("ee-vpc", vpcImage, "ee-login");
    node.awaitRunning(namespace, "ee-vpc", START);

    IssuedToken personalLogin = acr.issueLogin("pod-test", null);
    createSecret("wrong-registry", ENTERPRISE, personalLogin.username(), personalLogin.password());
    String image = pushNew(enterprise, ENTERPRISE + "/team/app", INSTANCE.instanceId());
    createPod("ee-foreign", image, "wrong-registry");
    assertThat(node.awaitPullFailure(namespace, "ee-foreign", START)).contains("401 Unauthorized");
  }

  /** Builds a new image (own layer) and pushes it under a fresh tag. */
  private String pushNew(LocalRegistry registry, String repository, String instanceId) {
    String tag = "t" + tags.incrementAndGet() + "-" + System.nanoTime();
    String reference = repository + ":" + tag;
    TestImage image = TestImage.build(images.resolve(tag), reference, tag);
    IssuedToken pusher = acr.issueLogin("image-pusher", instanceId);
    registry.push(image, reference, pusher.username(), pusher.password());
    return reference;
  }

  private void createSecret(String name, String host, String username, String password)
      throws Exception {
    String auth =
        Base64.getEncoder()
            .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    String config = "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}";
    api.createNamespacedSecret(
            namespace,
            new V1Secret()
                .metadata(new V1ObjectMeta().name(name))
                .type("kubernetes.io/dockerconfigjson")
                .data(Map.of(".dockerconfigjson", config.getBytes(StandardCharsets.UTF_8))))
        .execute();
  }

  private void createPod(String name, String image, String pullSecret) throws Exception {
    V1Pod pod = LocalNodeIT.pod(node, name, image, "Always");
    if (pullSecret != null) {
      pod.getSpec().imagePullSecrets(List.of(new V1LocalObjectReference().name(pullSecret)));
    }
    api.createNamespacedPod(namespace, pod).execute();
  }
}
