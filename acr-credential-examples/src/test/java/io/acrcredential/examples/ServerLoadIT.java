package io.acrcredential.examples;

import static io.acrcredential.examples.SyncCommandIT.await;
import static io.acrcredential.examples.SyncCommandIT.quietly;
import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.kube.testing.WithKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AdmissionregistrationV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1MutatingWebhookConfiguration;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe port and the webhook port of the real {@code sync} process under slow, hostile
 * connections, side by side with an idle run, and Pod creations through the real API server with
 * and without the webhook (issue #14). Prints the figures; asserts only that every request was
 * answered, because timing goals are checked by the figures, not by a timed test.
 *
 * <p>Short by default (5 s per phase, 200 slow connections per port, Pods at 50/s), so it can run
 * in the build. The full measurement: {@code mvn -B -pl acr-credential-examples -am verify
 * -Dit.test=ServerLoadIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * -Dacr.load.seconds=60}; {@code -Dacr.load.slow=N} and {@code -Dacr.load.pod-rate=R} change the
 * other two.
 */
@WithKubeApiServer
class ServerLoadIT {

  static final String AK = "LTAI5tServerLoad01";
  static final String SECRET = "serverLoadSecret01234567";
  static final String INSTANCE = "cri-serverload1";
  static final String DOMAIN = "serverload-registry.cn-hangzhou.cr.aliyuncs.com";
  static final String PULL_SECRET = DockerConfig.secretName(DOMAIN);
  static final String SCOPE_LABEL = "acr-load-it-scope";
  static final String SELECT_LABEL = "acr-load-it-select";

  private static final String REVIEW =
      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
          + "\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
          + "\"namespace\":\"%s\",\"operation\":\"CREATE\","
          + "\"object\":{\"metadata\":{},\"spec\":{\"serviceAccountName\":\"default\","
          + "\"containers\":[{\"name\":\"a\",\"image\":\"x\"}]}}}}";

  private final int seconds = Integer.getInteger("acr.load.seconds", 5);
  private final int slow = Integer.getInteger("acr.load.slow", 200);
  private final int podRate = Integer.getInteger("acr.load.pod-rate", 50);

  private final LocalKubeApiServer server;
  private final CoreV1Api core;
  private final AdmissionregistrationV1Api admission;
  private final FakeAlibabaCloud cloud;
  private final String run = "load-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<String> report = new ArrayList<>();
  @TempDir Path home;

  ServerLoadIT(LocalKubeApiServer server) {
    this.server = server;
    ApiClient admin = server.adminClient();
    this.core = new CoreV1Api(admin);
    this.admission = new AdmissionregistrationV1Api(admin);
    this.cloud =
        FakeCloudEnv.start(
            AK,
            SECRET,
            AcrInstance.of(INSTANCE, "serverload", "cn-hangzhou"),
            "server-load-password-0123");
  }

  @AfterEach
  void stopCloud() {
    cloud.close();
  }

  @Test
  void slowConnectionsCostOnlyThemselvesAndPodCreationsThroughTheWebhook() throws Exception {
    String cfg = AcrConfigMaps.create(server, "loadcfg", config());
    try (SyncProcess.WithWebhook started =
        SyncProcess.startWithWebhook(
            server, "acr-load-it", home.resolve("tls"), env(), cfg, "--no-leader-election")) {
      SyncProcess p = started.process();
      int probePort = started.httpPort();
      int webhookPort = started.webhookPort();
      p.awaitLog("first reconcile complete", Duration.ofSeconds(90));
      String reviewNs = namespace(true, false);
      HttpClient https =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(trustingServerCa())
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      String review = String.format(Locale.ROOT, REVIEW, reviewNs);
      await(
          "the webhook mutates for the scope",
          Duration.ofSeconds(60),
          quietly(() -> review(https, webhookPort, review).contains("\"patch\"")));

      line(
          "ServerLoadIT: %d s per phase, %d slow connections per port, Pods at %d/s; %d cores",
          seconds, slow, podRate, Runtime.getRuntime().availableProcessors());

      // ---- the probe and the webhook: idle, then under slow connections ----
      Latencies idle = measure(probePort, webhookPort, https, review);
      Attack attack = new Attack(probePort, webhookPort, slow);
      Latencies loaded;
      try {
        attack.start();
        Thread.sleep(1000);
        line(
            "slow connections open when the loaded run starts: probe port %d, webhook port %d",
            attack.open[0].get(), attack.open[1].get());
        loaded = measure(probePort, webhookPort, https, review);
        line(
            "slow connections open when it ends: probe port %d, webhook port %d; closed by the"
                + " server and reopened during the run: %d, %d",
            attack.open[0].get(),
            attack.open[1].get(),
            attack.reopened[0].get(),
            attack.reopened[1].get());
      } finally {
        attack.stop();
      }
      line("%-26s %8s %8s %8s %8s %6s", "", "n", "p50", "p99", "max", "failed");
      idle.print("/healthz idle", "probe");
      loaded.print("/healthz with slow conns", "probe");
      idle.print("AdmissionReview idle", "review");
      loaded.print("AdmissionReview slow conns", "review");
      for (String what : List.of("probe", "review")) {
        double added = loaded.p(what, 99) - idle.p(what, 99);
        line(
            "%s p99 added by %d slow connections: %.1f ms (goal: at most 100 ms: %s)",
            what, slow, added, added <= 100 ? "met" : "NOT met");
      }
      assertThat(loaded.failed).as("requests failed under slow connections").isZero();
      assertThat(idle.failed).isZero();
      assertThat(loaded.samples.get("probe")).hasSizeGreaterThan(seconds * 5);
      assertThat(loaded.samples.get("review")).hasSizeGreaterThan(seconds * 5);

      // ---- Pod creations through the API server, without and with the webhook ----
      String webhookName = "acr-load-it-" + run;
      admission
          .createMutatingWebhookConfiguration(
              new V1MutatingWebhookConfiguration()
                  .metadata(new V1ObjectMeta().name(webhookName))
                  .addWebhooksItem(
                      server.podCreateWebhook(
                          "pods.acr-credential.io",
                          "https://127.0.0.1:" + webhookPort + "/mutate-pods",
                          Map.of(SELECT_LABEL, run))))
          .execute();
      try {
        String warm = namespace(true, true);
        await(
            "the webhook configuration in effect",
            Duration.ofSeconds(90),
            quietly(() -> pullSecrets(createPod(warm, true)).contains(PULL_SECRET)));
        PodRun without = createPods(namespace(true, false));
        long reviewsBefore = reviews(probePort);
        PodRun with = createPods(namespace(true, true));
        long reviewed = reviews(probePort) - reviewsBefore;
        line("%-26s %8s %8s %8s %8s %6s", "", "n", "p50", "p99", "max", "failed");
        without.print("Pod create, no webhook");
        with.print("Pod create, webhook on");
        line(
            "added by the webhook at %d Pods/s: p50 %.1f ms, p99 %.1f ms",
            podRate,
            percentile(with.millis, 50) - percentile(without.millis, 50),
            percentile(with.millis, 99) - percentile(without.millis, 99));
        assertThat(without.failed).isZero();
        assertThat(with.failed).isZero();
        assertThat(with.mutated).as("Pods created with the pull Secret").isEqualTo(with.n);
        assertThat(reviewed)
            .as("reviews the webhook answered for them")
            .isGreaterThanOrEqualTo(with.n);
      } finally {
        admission.deleteMutatingWebhookConfiguration(webhookName).execute();
      }
      assertThat(p.process.isAlive()).isTrue();
    }
    Path out = Path.of("target", "server-load.txt");
    Files.write(out, report);
  }

  // ---- the slow clients ----

  /**
   * Holds {@code n} slow connections open on each port for as long as it runs: on the probe port
   * half an HTTP request, then one more header byte a second; on the webhook port the first bytes
   * of a TLS ClientHello, then one byte a second. A connection the server closes is opened again.
   */
  private static final class Attack {
    final int[] ports;
    final int n;
    final AtomicInteger[] open = {new AtomicInteger(), new AtomicInteger()};
    final AtomicInteger[] reopened = {new AtomicInteger(), new AtomicInteger()};
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> threads = new ArrayList<>();

    Attack(int probePort, int webhookPort, int n) {
      this.ports = new int[] {probePort, webhookPort};
      this.n = n;
    }

    void start() {
      for (int which = 0; which < 2; which++) {
        for (int i = 0; i < n; i++) {
          int w = which;
          Thread t = new Thread(() -> hold(w), "slow-" + w + "-" + i);
          t.setDaemon(true);
          threads.add(t);
          t.start();
        }
      }
    }

    void hold(int which) {
      byte[] start =
          which == 0
              ? "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                  .getBytes(StandardCharsets.US_ASCII)
              : new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01};
      boolean first = true;
      while (running.get()) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", ports[which]), 5000);
          s.setSoTimeout(1000);
          if (!first) {
            reopened[which].incrementAndGet();
          }
          first = false;
          open[which].incrementAndGet();
          try {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(start);
            out.flush();
            while (running.get()) {
              try {
                if (in.read() == -1) {
                  break;
                }
              } catch (SocketTimeoutException stillOpen) {
                out.write('a');
                out.flush();
              }
            }
          } finally {
            open[which].decrementAndGet();
          }
        } catch (IOException closed) {
          // the server closed it: open another
        }
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(5000);
      }
    }
  }

  // ---- the measured requests ----

  private final class Latencies {
    final Map<String, List<Double>> samples = new HashMap<>();
    int failed;

    void add(String what, double millis) {
      samples.computeIfAbsent(what, k -> new ArrayList<>()).add(millis);
    }

    double p(String what, int p) {
      return percentile(samples.getOrDefault(what, List.of()), p);
    }

    void print(String label, String what) {
      List<Double> s = samples.getOrDefault(what, List.of());
      line(
          "%-26s %8d %8.1f %8.1f %8.1f %6d",
          label, s.size(), p(what, 50), p(what, 99), percentile(s, 100), failed);
    }
  }

  /** For the phase's duration, one probe (a new connection each, as the kubelet) and one review. */
  private Latencies measure(int probePort, int webhookPort, HttpClient https, String review) {
    Latencies l = new Latencies();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      long t = System.nanoTime();
      try {
        assertThat(probe(probePort)).startsWith("HTTP/1.1 200");
        l.add("probe", (System.nanoTime() - t) / 1e6);
      } catch (Exception | AssertionError e) {
        l.failed++;
      }
      t = System.nanoTime();
      try {
        assertThat(review(https, webhookPort, review)).contains("\"uid\":\"u-1\"");
        l.add("review", (System.nanoTime() - t) / 1e6);
      } catch (Exception | AssertionError e) {
        l.failed++;
      }
      try {
        Thread.sleep(40);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return l;
  }

  /** The sum of the webhook's review counters in /metrics. */
  private static long reviews(int port) throws IOException {
    String text;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(5000);
      s.getOutputStream()
          .write(
              "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      text = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
    long sum = 0;
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^acr_credential_webhook_reviews_total\\{[^}]*} (\\d+)(?:\\.0)?$")
            .matcher(text);
    while (m.find()) {
      sum += Long.parseLong(m.group(1));
    }
    return sum;
  }

  private static String probe(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(5000);
      s.getOutputStream()
          .write(
              "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  private static String review(HttpClient https, int port, String body) throws Exception {
    HttpResponse<String> r =
        https.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/mutate-pods"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  // ---- Pods ----

  private final class PodRun {
    final List<Double> millis = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger failures = new AtomicInteger();
    final AtomicInteger mutatedCount = new AtomicInteger();
    int n;
    int failed;
    int mutated;

    void print(String label) {
      line(
          "%-26s %8d %8.1f %8.1f %8.1f %6d",
          label,
          millis.size(),
          percentile(millis, 50),
          percentile(millis, 99),
          percentile(millis, 100),
          failed);
    }
  }

  /** Pods created at {@code podRate} per second for the phase's duration, 16 in flight at most. */
  private PodRun createPods(String ns) throws Exception {
    PodRun run = new PodRun();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    List<Future<?>> done = Collections.synchronizedList(new ArrayList<>());
    int total = seconds * podRate;
    AtomicInteger issued = new AtomicInteger();
    try {
      ticker
          .scheduleAtFixedRate(
              () -> {
                if (issued.incrementAndGet() > total) {
                  throw new IllegalStateException("done"); // ends the schedule
                }
                done.add(
                    pool.submit(
                        () -> {
                          long t = System.nanoTime();
                          try {
                            V1Pod pod = createPod(ns, false);
                            run.millis.add((System.nanoTime() - t) / 1e6);
                            if (pullSecrets(pod).contains(PULL_SECRET)) {
                              run.mutatedCount.incrementAndGet();
                            }
                          } catch (ApiException e) {
                            run.failures.incrementAndGet();
                          }
                        }));
              },
              0,
              1_000_000L / podRate,
              TimeUnit.MICROSECONDS)
          .get(seconds + 60L, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException endOfSchedule) {
      // the schedule ended after the last Pod
    } finally {
      ticker.shutdown();
    }
    for (Future<?> f : new ArrayList<>(done)) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    run.n = total;
    run.failed = run.failures.get();
    run.mutated = run.mutatedCount.get();
    try {
      core.deleteNamespace(ns).execute();
    } catch (ApiException e) {
      // left for the API server's end
    }
    return run;
  }

  private V1Pod createPod(String ns, boolean dryRun) throws ApiException {
    V1PodSpec spec =
        new V1PodSpec()
            .serviceAccountName("default")
            .addContainersItem(new V1Container().name("app").image(DOMAIN + "/team/app:1"));
    spec.overhead(null).nodeSelector(null).imagePullSecrets(null);
    var call =
        core.createNamespacedPod(
            ns, new V1Pod().metadata(new V1ObjectMeta().generateName("app-")).spec(spec));
    if (dryRun) {
      call = call.dryRun("All");
    }
    return call.execute();
  }

  private static List<String> pullSecrets(V1Pod pod) {
    List<String> names = new ArrayList<>();
    if (pod.getSpec().getImagePullSecrets() != null) {
      pod.getSpec().getImagePullSecrets().forEach(r -> names.add(r.getName()));
    }
    return names;
  }

  /** A new namespace in the sync's scope, selected by the webhook or not; waits for "default". */
  private String namespace(boolean inScope, boolean selected) throws Exception {
    Map<String, String> labels = new HashMap<>();
    if (inScope) {
      labels.put(SCOPE_LABEL, run);
    }
    if (selected) {
      labels.put(SELECT_LABEL, run);
    }
    String ns = TestNamespaces.generate(core, "load-", labels);
    await(
        "ServiceAccount default in " + ns,
        Duration.ofSeconds(60),
        quietly(() -> core.readNamespacedServiceAccount("default", ns).execute() != null));
    return ns;
  }

  // ---- set-up and figures ----

  Map<String, String> env() {
    return FakeCloudEnv.env(home, server.kubeconfig(), cloud, AK, SECRET);
  }

  Map<String, String> config() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("watch-namespace-selector", SCOPE_LABEL + "=" + run);
    data.put("service-account", "default");
    data.put("webhook-configuration", "enable: true\n");
    data.put("acr-registry-info", AcrConfigMaps.registryInfo(INSTANCE, DOMAIN));
    return data;
  }

  private SSLContext trustingServerCa() throws Exception {
    return WebhookTls.trusting(List.of(WebhookTls.certificate(server.caCertificatePem())));
  }

  static double percentile(List<Double> values, int p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private void line(String format, Object... args) {
    String s = String.format(Locale.ROOT, format, args);
    System.out.println("[load] " + s);
    report.add(s);
  }
}
