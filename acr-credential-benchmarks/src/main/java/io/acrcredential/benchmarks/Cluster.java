package io.acrcredential.benchmarks;

import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.Interceptor;

/**
 * A benchmark's cluster: a real local kube-apiserver and the labelled namespaces a benchmark
 * creates in it, named {@code prefix + five digits}, each with an optional extra ServiceAccount
 * next to the "default" one kube-controller-manager creates.
 */
final class Cluster implements AutoCloseable {

  private final LocalKubeApiServer server;
  private final CoreV1Api admin;
  private final String prefix;
  private final Map<String, String> labels;
  private final String extraServiceAccount;

  private Cluster(LocalKubeApiServer server, String prefix, String label, String extra) {
    this.server = server;
    this.admin = new CoreV1Api(server.adminClient());
    this.prefix = prefix;
    String[] kv = label.split("=", 2);
    this.labels = Map.of(kv[0], kv[1]);
    this.extraServiceAccount = extra;
  }

  /**
   * Starts the API server.
   *
   * @param prefix the benchmark's namespace name prefix
   * @param label {@code key=value}, set on every namespace the benchmark creates
   * @param extraServiceAccount a ServiceAccount created in each namespace, or null for none
   */
  static Cluster start(String prefix, String label, String extraServiceAccount) {
    LocalKubeApiServer server =
        LocalKubeApiServer.builder().startupTimeout(Duration.ofMinutes(3)).start();
    return new Cluster(server, prefix, label, extraServiceAccount);
  }

  LocalKubeApiServer server() {
    return server;
  }

  CoreV1Api admin() {
    return admin;
  }

  /** A new admin client whose calls pass through {@code interceptor} (a request counter). */
  ApiClient client(Interceptor interceptor) {
    ApiClient c = server.adminClient();
    c.setHttpClient(c.getHttpClient().newBuilder().addInterceptor(interceptor).build());
    return c;
  }

  /** The name of the benchmark's namespace number {@code i}. */
  String name(int i) {
    return prefix + String.format(Locale.ROOT, "%05d", i);
  }

  boolean isOurs(String namespace) {
    return namespace.startsWith(prefix);
  }

  /**
   * Creates namespaces {@code from..from+count-1} (8 at a time) and waits until each has its
   * "default" ServiceAccount.
   */
  void createNamespaces(int from, int count) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        String ns = name(i);
        done.add(
            pool.submit(
                () -> {
                  createNamespace(ns);
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    // kube-controller-manager creates every "default" ServiceAccount
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (true) {
      Set<String> withDefault = new HashSet<>();
      for (V1ServiceAccount sa :
          admin
              .listServiceAccountForAllNamespaces()
              .fieldSelector("metadata.name=default")
              .execute()
              .getItems()) {
        withDefault.add(sa.getMetadata().getNamespace());
      }
      boolean all = true;
      for (int i = from; i < from + count && all; i++) {
        all = withDefault.contains(name(i));
      }
      if (all) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("default ServiceAccounts missing after 10 minutes");
      }
      Thread.sleep(500);
    }
  }

  /** Creates one labelled namespace and its extra ServiceAccount, without waiting. */
  void createNamespace(String ns) throws ApiException {
    admin
        .createNamespace(new V1Namespace().metadata(new V1ObjectMeta().name(ns).labels(labels)))
        .execute();
    if (extraServiceAccount != null) {
      admin
          .createNamespacedServiceAccount(
              ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name(extraServiceAccount)))
          .execute();
    }
  }

  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return server.toString();
  }
}
