package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.fail;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.LabelSelector;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Shared set-up of the sync integration tests: namespaces, targets, a recording listener. */
final class SyncFixture {

  static final Duration WAIT = Duration.ofSeconds(30);
  static final String HANGZHOU = "registry.cn-hangzhou.aliyuncs.com";
  static final String SHANGHAI = "registry.cn-shanghai.aliyuncs.com";
  static final RegistryTarget HZ =
      RegistryTarget.personal("cn-hangzhou").withDomains(List.of(HANGZHOU));
  static final RegistryTarget SH =
      RegistryTarget.personal("cn-shanghai").withDomains(List.of(SHANGHAI));
  static final String HZ_SECRET = DockerConfig.secretName(HANGZHOU);
  static final String SH_SECRET = DockerConfig.secretName(SHANGHAI);

  final LocalKubeApiServer server;
  final CoreV1Api admin;

  SyncFixture(LocalKubeApiServer server) {
    this.server = server;
    this.admin = new CoreV1Api(server.adminClient());
  }

  static AcrConfiguration config(
      String scopeLabelValue, ServiceAccountScope sas, RegistryTarget... targets) {
    AcrConfiguration.Builder b =
        AcrConfiguration.builder()
            .namespaces(NamespaceScope.matching(LabelSelector.parse("acr-test=" + scopeLabelValue)))
            .serviceAccounts(sas);
    for (RegistryTarget t : targets) {
      b.addRegistry(RegistryEntry.of(t, IdentitySpec.defaultChain()));
    }
    return b.build();
  }

  String namespace(String prefix, Map<String, String> labels) throws ApiException {
    V1Namespace created =
        admin
            .createNamespace(
                new V1Namespace()
                    .metadata(new V1ObjectMeta().generateName(prefix + "-").labels(labels)))
            .execute();
    return created.getMetadata().getName();
  }

  void label(String ns, Map<String, String> labels) throws ApiException {
    for (int i = 0; ; i++) {
      V1Namespace n = admin.readNamespace(ns).execute();
      n.getMetadata().setLabels(labels);
      try {
        admin.replaceNamespace(ns, n).execute();
        return;
      } catch (ApiException e) {
        if (e.getCode() != 409 || i > 5) {
          throw e;
        }
      }
    }
  }

  V1ServiceAccount serviceAccount(String ns, String name, String... pullSecrets)
      throws ApiException {
    List<V1LocalObjectReference> refs = new ArrayList<>();
    for (String p : pullSecrets) {
      refs.add(new V1LocalObjectReference().name(p));
    }
    return admin
        .createNamespacedServiceAccount(
            ns,
            new V1ServiceAccount().metadata(new V1ObjectMeta().name(name)).imagePullSecrets(refs))
        .execute();
  }

  Optional<V1Secret> secret(String ns, String name) throws ApiException {
    try {
      return Optional.of(admin.readNamespacedSecret(name, ns).execute());
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  Optional<V1ServiceAccount> sa(String ns, String name) throws ApiException {
    try {
      return Optional.of(admin.readNamespacedServiceAccount(name, ns).execute());
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  List<String> pullSecrets(String ns, String sa) throws ApiException {
    List<String> names = new ArrayList<>();
    V1ServiceAccount s = sa(ns, sa).orElseThrow();
    if (s.getImagePullSecrets() != null) {
      s.getImagePullSecrets().forEach(r -> names.add(r.getName()));
    }
    return names;
  }

  /** The password stored for a domain in a pull Secret, or null. */
  String password(String ns, String secret, String domain) throws ApiException {
    Optional<V1Secret> s = secret(ns, secret);
    if (s.isEmpty() || s.get().getData() == null) {
      return null;
    }
    byte[] json = s.get().getData().get(".dockerconfigjson");
    return json == null
        ? null
        : DockerConfig.decode(json).auth(domain).map(DockerConfig.Auth::password).orElse(null);
  }

  /** Polls the real API server until the condition holds; returns how long it took. */
  static Duration await(String what, Callable<Boolean> condition) throws Exception {
    long start = System.nanoTime();
    long deadline = start + WAIT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (Boolean.TRUE.equals(condition.call())) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
      } catch (ApiException e) {
        last = e;
      }
      Thread.sleep(20);
    }
    fail("timed out after " + WAIT + " waiting for " + what + (last == null ? "" : ": " + last));
    return null;
  }

  /** Records everything a sync reports. */
  static class Recorder implements SyncListener {
    final List<NamespaceSyncResult> synced = new CopyOnWriteArrayList<>();
    final List<SecretClash> clashes = new CopyOnWriteArrayList<>();
    final List<SyncFailure> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger leaderChanges = new AtomicInteger();

    @Override
    public void namespaceSynced(NamespaceSyncResult result) {
      synced.add(result);
    }

    @Override
    public void secretClash(SecretClash clash) {
      clashes.add(clash);
    }

    @Override
    public void syncFailed(SyncFailure failure) {
      failures.add(failure);
    }

    @Override
    public void leadershipChanged(boolean leader) {
      leaderChanges.incrementAndGet();
    }
  }

  /** A client of the admin identity whose writes are counted. */
  ApiClient countingAdmin(WriteCounter counter) {
    ApiClient c = server.adminClient();
    c.setHttpClient(c.getHttpClient().newBuilder().addInterceptor(counter).build());
    return c;
  }
}
