package io.acrcredential.examples.sync;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.cli.AcrEndpoints;
import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.logging.LogSetup;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.AcrConfigParser;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code demo}: the refresher end to end on a machine without a cloud account. Starts the fake
 * Alibaba Cloud and a local kube-apiserver (with etcd and kube-controller-manager), creates a few
 * namespaces and ServiceAccounts, runs the refresher in-process, narrates what it does (tokens,
 * Secrets, ServiceAccounts, a live ConfigMap edit, a forced rotation) and shuts everything down.
 */
public final class DemoCommand extends BasicCommand {

  static final String AK = "LTAI5tDemoAccessKey01";
  static final String AK_SECRET = "demoAccessKeySecret0123456789";
  static final String INSTANCE = "cri-demo0001";
  static final String REGION = "cn-hangzhou";
  static final String DOMAIN = "demo-registry." + REGION + ".cr.aliyuncs.com";
  static final List<String> NAMESPACES = List.of("team-a", "team-b", "team-c");

  private static final Options OPTIONS =
      new Options("demo")
          .value(
              "kube-bin",
              "DIR",
              "ACR_KUBE_BIN",
              "directory with etcd, kube-apiserver, kube-controller-manager (default: the build"
                  + " cache ~/.cache/acr-credential)")
          .flag("verbose", "also show the refresher's log lines");

  /** The command with its options and help. */
  public DemoCommand() {
    super(
        "demo",
        "run the refresher against a local API server and a fake ACR (no cloud account)",
        "Usage: acr-credential demo [--kube-bin DIR] [--verbose]\n\n"
            + "Starts a fake Alibaba Cloud (ACR, STS) and a local Kubernetes API server on\n"
            + "127.0.0.1, creates namespaces and ServiceAccounts, runs the refresher and prints what\n"
            + "it does, then stops everything. The Kubernetes binaries are built once with\n"
            + "  bash test-infra/kube/build.sh\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    LogSetup.configure(LogSetup.Format.PLAIN, p.flag("verbose") ? "info" : "error", io.err());
    PrintStream out = io.out();
    long t0 = System.nanoTime();
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
      cloud.identities().addAccessKey(AK, AK_SECRET);
      cloud.acr().addInstance(AcrInstance.of(INSTANCE, "demo", REGION));
      cloud.acr().useGeneratedTokens();
      out.println(
          "1. Fake Alibaba Cloud: ACR OpenAPI at "
              + cloud.acr().endpoint()
              + ", Enterprise Edition instance "
              + INSTANCE
              + " ("
              + DOMAIN
              + ")");
      out.flush();
      LocalKubeApiServer server = startServer(p.value("kube-bin"));
      try (server) {
        out.println(
            "2. Local Kubernetes API server at "
                + server.url()
                + " (etcd, kube-apiserver"
                + (server.hasControllerManager() ? ", kube-controller-manager" : "")
                + "), ready in "
                + server.startupTime().toMillis()
                + " ms");
        demo(io, out, cloud, server, t0);
      }
    }
    out.println("Done in " + Duration.ofNanos(System.nanoTime() - t0).toSeconds() + " s.");
    return 0;
  }

  static LocalKubeApiServer startServer(Optional<String> dir) {
    try {
      LocalKubeApiServer.Builder b = LocalKubeApiServer.builder();
      dir.ifPresent(d -> b.binaryDirectory(Path.of(d)));
      return b.start();
    } catch (IllegalStateException e) {
      throw CliException.failure(
          "cannot start the local Kubernetes API server: "
              + e.getMessage()
              + " (then run the demo again)");
    }
  }

  private void demo(
      Invocation io, PrintStream out, FakeAlibabaCloud cloud, LocalKubeApiServer server, long t0) {
    ApiClient admin = server.adminClient();
    CoreV1Api core = new CoreV1Api(admin);
    try {
      for (String ns : NAMESPACES) {
        core.createNamespace(new V1Namespace().metadata(new V1ObjectMeta().name(ns))).execute();
        for (String sa : List.of("default", "builder")) {
          createServiceAccount(core, ns, sa);
        }
      }
      Map<String, String> data = new LinkedHashMap<>();
      data.put("watch-namespace", "team-a,team-b");
      data.put("service-account", "default,builder");
      data.put("expiring-threshold", "15m");
      data.put(
          "acr-registry-info",
          "- instanceId: \"" + INSTANCE + "\"\n  regionId: \"" + REGION + "\"\n");
      core.createNamespacedConfigMap(
              "kube-system",
              new V1ConfigMap().metadata(new V1ObjectMeta().name("acr-configuration")).data(data))
          .execute();
      out.println(
          "3. Created namespaces "
              + String.join(", ", NAMESPACES)
              + " with ServiceAccounts default and builder, and ConfigMap"
              + " kube-system/acr-configuration watching team-a,team-b");

      Map<String, String> env = new LinkedHashMap<>(io.env());
      env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", AK);
      env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", AK_SECRET);
      Refresher.Settings settings =
          new Refresher.Settings(
              admin,
              server.adminClient(),
              new ConfigSource.FromConfigMap(
                  admin, server.adminClient(), "kube-system", "acr-configuration"),
              AcrConfigParser.forClusterRegion(REGION),
              new AcrEndpoints(
                  Optional.of("http://" + cloud.acr().endpoint()),
                  Optional.of("http://" + cloud.sts().endpoint()),
                  Optional.of("http://" + cloud.metadata().endpoint())),
              env,
              Clock.systemUTC(),
              Optional.of(
                  new Refresher.Lease(
                      "kube-system",
                      SyncCommand.DEFAULT_LEASE,
                      "demo-replica",
                      Duration.ofSeconds(15),
                      Duration.ofSeconds(10),
                      Duration.ofSeconds(2))),
              PullSecretSync.DEFAULT_INSTANCE,
              Duration.ofMinutes(10),
              List.of(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty());
      try (Refresher refresher = new Refresher(settings)) {
        long started = System.nanoTime();
        ReconcileTracker.Pass first = await(refresher.start());
        SyncMetrics m = refresher.metrics();
        out.println(
            "4. Refresher started, won the Lease kube-system/"
                + SyncCommand.DEFAULT_LEASE
                + " and reconciled in "
                + Duration.ofNanos(System.nanoTime() - started).toMillis()
                + " ms: "
                + m.tokensFetched()
                + " token(s) fetched from ACR ("
                + cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)
                + " GetAuthorizationToken call(s) for "
                + first.namespaces()
                + " namespaces), "
                + first.created()
                + " Secret(s) written, "
                + first.serviceAccounts()
                + " ServiceAccount(s) patched");
        String secret = DockerConfig.secretName(DOMAIN);
        for (String ns : NAMESPACES) {
          out.println("     " + describeNamespace(core, ns));
        }

        data.put("watch-namespace", "team-a,team-b,team-c");
        V1ConfigMap cm = core.readNamespacedConfigMap("acr-configuration", "kube-system").execute();
        cm.setData(data);
        long edit = System.nanoTime();
        core.replaceNamespacedConfigMap("acr-configuration", "kube-system", cm).execute();
        waitFor(
            () -> {
              try {
                return pullSecrets(core, "team-c", "builder").contains(secret);
              } catch (ApiException e) {
                return false;
              }
            });
        out.println(
            "5. Edited the ConfigMap (watch-namespace += team-c): applied without a restart,"
                + " team-c ready after "
                + Duration.ofNanos(System.nanoTime() - edit).toMillis()
                + " ms:");
        out.println("     " + describeNamespace(core, "team-c"));
        // Every managed Secret's content before the rotation, keyed by namespace/name. The
        // rotation has reached the cluster when each of them has new content and the refresher
        // has reported each write (namespaces report after their last write).
        Map<String, String> before = new LinkedHashMap<>();
        for (String ns : NAMESPACES) {
          for (String name : pullSecrets(core, ns, "builder")) {
            secret(core, ns, name).ifPresent(x -> before.put(ns + "/" + name, digest(x)));
          }
        }
        long updatedBefore = m.secretsWritten("updated");
        long rotate = System.nanoTime();
        refresher.forceRotation();
        waitFor(
            () ->
                rotatedSecrets(core, before) == before.size()
                    && m.secretsWritten("updated") - updatedBefore >= before.size());
        long rotationMillis = Duration.ofNanos(System.nanoTime() - rotate).toMillis();
        long rewritten = m.secretsWritten("updated") - updatedBefore;
        long namespacesWithSecrets =
            before.keySet().stream().map(k -> k.substring(0, k.indexOf('/'))).distinct().count();
        out.println(
            "6. Forced a rotation (as when a token nears expiry): ACR handed out a new password,"
                + " "
                + rewritten
                + " Secret(s) rewritten in "
                + rotationMillis
                + " ms; new content in all "
                + before.size()
                + " Secret(s) of "
                + namespacesWithSecrets
                + " namespaces; tokens fetched so far: "
                + m.tokensFetched()
                + " (never one per namespace)");
        out.println(
            "   Secrets written in total: "
                + (m.secretsWritten("created") + m.secretsWritten("updated"))
                + ", ServiceAccounts patched: "
                + m.serviceAccountsPatched()
                + ". Passwords are never printed; the metrics endpoint of `sync` shows these"
                + " counters.");
      }
      String holder =
          new CoordinationV1Api(admin)
              .readNamespacedLease(SyncCommand.DEFAULT_LEASE, "kube-system")
              .execute()
              .getSpec()
              .getHolderIdentity();
      out.println(
          "7. Refresher stopped; Lease holder is now "
              + (holder == null || holder.isEmpty() ? "empty (released for a standby)" : holder)
              + ". Stopping the API server and the fake cloud.");
      out.flush();
    } catch (ApiException e) {
      throw KubeErrors.failure("demo", admin, e);
    }
  }

  static void createServiceAccount(CoreV1Api core, String ns, String name) throws ApiException {
    try {
      core.createNamespacedServiceAccount(
              ns, new V1ServiceAccount().metadata(new V1ObjectMeta().name(name)))
          .execute();
    } catch (ApiException e) {
      if (e.getCode() != 409) { // the controller manager made "default" already
        throw e;
      }
    }
  }

  /** One line: the pull Secrets in a namespace and which ServiceAccounts list them. */
  private static String describeNamespace(CoreV1Api core, String ns) throws ApiException {
    List<V1Secret> secrets =
        core.listNamespacedSecret(ns)
            .labelSelector(PullSecretSync.MANAGED_LABEL + "=true")
            .execute()
            .getItems();
    if (secrets.isEmpty()) {
      return ns + ": no pull Secret (not in watch-namespace)";
    }
    StringBuilder line = new StringBuilder(ns + ": ");
    for (V1Secret s : secrets) {
      Map<String, String> a = s.getMetadata().getAnnotations();
      line.append(s.getMetadata().getName())
          .append(" for ")
          .append(a.get(PullSecretSync.DOMAINS_ANNOTATION))
          .append(" (expires ")
          .append(a.get(PullSecretSync.EXPIRES_AT_ANNOTATION))
          .append("); ");
    }
    line.append("listed by ServiceAccounts");
    for (String sa : List.of("default", "builder")) {
      if (pullSecrets(core, ns, sa).contains(secrets.get(0).getMetadata().getName())) {
        line.append(' ').append(sa);
      }
    }
    return line.toString();
  }

  static Optional<V1Secret> secret(CoreV1Api core, String ns, String name) {
    try {
      return Optional.of(core.readNamespacedSecret(name, ns).execute());
    } catch (ApiException e) {
      return Optional.empty();
    }
  }

  static List<String> pullSecrets(CoreV1Api core, String ns, String sa) throws ApiException {
    List<V1LocalObjectReference> refs =
        core.readNamespacedServiceAccount(sa, ns).execute().getImagePullSecrets();
    return refs == null ? List.of() : refs.stream().map(V1LocalObjectReference::getName).toList();
  }

  /** How many of the Secrets in {@code before} (namespace/name to digest) have new content. */
  private static int rotatedSecrets(CoreV1Api core, Map<String, String> before) {
    int n = 0;
    for (Map.Entry<String, String> e : before.entrySet()) {
      if (!e.getValue().equals(currentDigest(core, e.getKey()))) {
        n++;
      }
    }
    return n;
  }

  private static String currentDigest(CoreV1Api core, String namespaceSlashName) {
    int slash = namespaceSlashName.indexOf('/');
    return secret(
            core, namespaceSlashName.substring(0, slash), namespaceSlashName.substring(slash + 1))
        .map(DemoCommand::digest)
        .orElse("");
  }

  private static String digest(V1Secret s) {
    try {
      byte[] body = s.getData().get(".dockerconfigjson");
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(body == null ? new byte[0] : body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw CliException.failure("the refresher did not finish within 60 s (run with --verbose)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliException.failure("interrupted");
    } catch (ExecutionException e) {
      throw CliException.failure("the refresher failed: " + e.getCause());
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw CliException.failure("the refresher did not react within 60 s (run with --verbose)");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CliException.failure("interrupted");
      }
    }
  }
}
