package io.acrcredential.examples;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.LocalNode;
import io.acrcredential.kube.testing.LocalRegistry;
import io.acrcredential.kube.testing.TestImage;
import io.acrcredential.testing.FakeAcr;
import io.acrcredential.testing.FakeRegistryTokenService;
import io.acrcredential.testing.IssuedToken;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ACR-like private registry for the Pod-level ITs: one Enterprise Edition instance's domains
 * served by {@link LocalRegistry} on a loopback address, its token service accepting exactly the
 * logins the fake ACR issued for that instance, and fresh images (own layer, own tag) pushed on
 * demand, so every Pod's pull really goes to the registry.
 */
final class NodeRegistry implements AutoCloseable {

  static final Duration POD_START = Duration.ofSeconds(90);

  final FakeRegistryTokenService tokens;
  final LocalRegistry registry;
  final String instanceId;
  private final FakeAcr acr;
  private final Path images;
  private final AtomicInteger counter = new AtomicInteger();

  private NodeRegistry(
      FakeAcr acr,
      String instanceId,
      FakeRegistryTokenService tokens,
      LocalRegistry registry,
      Path images) {
    this.acr = acr;
    this.instanceId = instanceId;
    this.tokens = tokens;
    this.registry = registry;
    this.images = images;
  }

  static NodeRegistry start(
      LocalKubeApiServer server,
      LocalNode node,
      FakeAcr acr,
      String instanceId,
      String address,
      List<String> domains)
      throws IOException {
    var signer = LocalRegistry.newSigningKey(server);
    FakeRegistryTokenService tokens =
        FakeRegistryTokenService.start(
            acr,
            domains.get(0),
            instanceId,
            signer.certificatePem(),
            signer.privateKeyPem(),
            InetAddress.getByName("127.0.0.1"));
    try {
      LocalRegistry registry =
          LocalRegistry.builder(server, node)
              .address(address)
              .hosts(domains.toArray(String[]::new))
              .tokenAuth(tokens.realm(), domains.get(0), tokens.issuer(), signer.certificatePem())
              .start();
      return new NodeRegistry(
          acr, instanceId, tokens, registry, Files.createTempDirectory("acr-node-images-"));
    } catch (RuntimeException e) {
      tokens.close();
      throw e;
    }
  }

  /** Builds and pushes a new image as {@code <domain>/<repository>:<fresh tag>}. */
  String pushNew(String domain, String repository) {
    String tag = "t" + counter.incrementAndGet() + "-" + System.nanoTime();
    String reference = domain + "/" + repository + ":" + tag;
    TestImage image = TestImage.build(images.resolve(tag), reference, tag);
    IssuedToken pusher = acr.issueLogin("image-pusher", instanceId);
    registry.push(image, reference, pusher.username(), pusher.password());
    return reference;
  }

  @Override
  public void close() {
    try {
      registry.close();
    } finally {
      tokens.close();
      try (var walk = Files.walk(images)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // temporary files only
      }
    }
  }

  /** A Pod for the node with the namespace's {@code default} ServiceAccount. */
  static V1Pod pod(LocalNode node, String name, String image) {
    return new V1Pod()
        .metadata(new V1ObjectMeta().name(name))
        .spec(
            new V1PodSpec()
                .nodeName(node.name())
                .overhead(null) // the client would send {}, which the API server rejects
                .dnsPolicy("Default")
                .automountServiceAccountToken(false)
                .terminationGracePeriodSeconds(1L)
                .containers(
                    List.of(
                        new V1Container().name("main").image(image).imagePullPolicy("Always"))));
  }

  /** Creates the Pod and returns how long it took until it was Running. */
  static Duration createAndAwaitRunning(CoreV1Api api, LocalNode node, String ns, V1Pod pod)
      throws ApiException {
    long started = System.nanoTime();
    api.createNamespacedPod(ns, pod).execute();
    node.awaitRunning(ns, pod.getMetadata().getName(), POD_START);
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** Waits until the namespace's {@code default} ServiceAccount exists (Pod admission needs it). */
  static void awaitDefaultServiceAccount(CoreV1Api api, String ns) throws Exception {
    SyncCommandIT.await(
        "ServiceAccount " + ns + "/default",
        Duration.ofSeconds(60),
        SyncCommandIT.quietly(
            () -> {
              try {
                V1ServiceAccount sa = api.readNamespacedServiceAccount("default", ns).execute();
                return sa != null;
              } catch (ApiException e) {
                if (e.getCode() == 404) {
                  return false;
                }
                throw e;
              }
            }));
  }

  /** The median of the durations, in milliseconds. */
  static long p50Millis(List<Duration> durations) {
    List<Long> millis = new ArrayList<>(durations.stream().map(Duration::toMillis).toList());
    Collections.sort(millis);
    return millis.get(millis.size() / 2);
  }
}
