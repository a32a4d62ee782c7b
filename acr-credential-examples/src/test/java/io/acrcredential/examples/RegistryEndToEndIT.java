package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.examples.Processes.Result;
import io.acrcredential.examples.util.Json;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeApi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * End to end with real programs: Debian's {@code docker-registry} (htpasswd, bcrypt) on loopback,
 * {@code skopeo} using {@code docker-credential-acr} through {@code credHelpers}, the kubelet
 * plugin's answer used as {@code --creds}, and the fake ACR handing out the registry's login.
 *
 * <p>The registry is reached as {@code 127.0.0.1:PORT}, which no ACR name parser recognises (and
 * real ACR names do not resolve to loopback), so the tests map it to an Enterprise Edition instance
 * as a custom domain ({@code ACR_CREDENTIAL_DOMAINS}), exactly as a user maps an instance's custom
 * domain. Plain HTTP on loopback: skopeo runs with {@code --tls-verify=false}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryEndToEndIT {

  static final String USER = "cr_temp_user";
  static final String PASSWORD = "e2e-Registry-Password-42";
  static final String INSTANCE = "cri-e2einstance1";

  Path tmp;
  FakeAlibabaCloud cloud;
  HtpasswdRegistry registry;
  String host;
  Path bin;
  Path authFile;
  Path layout;

  @BeforeAll
  void start() throws Exception {
    Processes.require("docker-registry", "skopeo", "htpasswd", "tar");
    bin = Processes.binDir();
    tmp = Files.createTempDirectory("acr-e2e");
    cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(CliHarness.AK, CliHarness.SECRET);
    cloud.acr().addInstance(AcrInstance.of(INSTANCE, "e2e", "cn-hangzhou"));
    cloud.acr().useFixedToken(USER, PASSWORD);

    registry = HtpasswdRegistry.start(tmp, USER, PASSWORD, "acr-e2e");
    host = registry.host();

    authFile = tmp.resolve("auth.json");
    Files.writeString(authFile, "{\"credHelpers\":{\"" + host + "\":\"acr\"}}");
    layout = OciLayout.create(tmp.resolve("oci"), "v1", "hello from acr-credential\n");
  }

  @AfterAll
  void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
    if (cloud != null) {
      cloud.close();
    }
    if (tmp != null) {
      try (var files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void skopeoAndTheKubeletPluginPullWithAcrTokens() throws Exception {
    Map<String, String> env = env(tmp.resolve("home-a"));
    String image = host + "/e2e/hello:v1";
    int base = tokenCalls();

    Result anonymous =
        skopeo(env, "inspect", "--tls-verify=false", "--authfile", empty(), "docker://" + image);
    assertThat(anonymous.exit()).as("the registry must require a login").isNotZero();

    Result push =
        skopeo(
            env,
            "copy",
            "--dest-tls-verify=false",
            "--authfile",
            authFile.toString(),
            "oci:" + layout + ":v1",
            "docker://" + image);
    assertThat(push.exit()).as(push.toString()).isZero();
    assertThat(tokenCalls()).isEqualTo(base + 1);
    assertThat(cloud.acr().lastRequest(FakeApi.GET_AUTHORIZATION_TOKEN).get().param("InstanceId"))
        .isEqualTo(INSTANCE);

    Result inspect =
        skopeo(
            env,
            "inspect",
            "--tls-verify=false",
            "--authfile",
            authFile.toString(),
            "docker://" + image);
    assertThat(inspect.exit()).as(inspect.toString()).isZero();
    assertThat(Json.MAPPER.readTree(inspect.stdout()).get("Layers")).hasSize(1);

    Path pulled = tmp.resolve("pulled");
    Result pull =
        skopeo(
            env,
            "copy",
            "--src-tls-verify=false",
            "--authfile",
            authFile.toString(),
            "docker://" + image,
            "oci:" + pulled + ":v1");
    assertThat(pull.exit()).as(pull.toString()).isZero();
    assertThat(Files.readString(pulled.resolve("index.json"))).contains("sha256:");
    // Within the token's life every further helper call came from the disk cache.
    assertThat(tokenCalls()).isEqualTo(base + 1);

    // The kubelet plugin (same identity, same cache) answers without calling ACR ...
    JsonNode response = kubelet(env, image);
    assertThat(tokenCalls()).isEqualTo(base + 1);
    JsonNode login = response.get("auth").get(host);
    assertThat(response.get("cacheKeyType").asText()).isEqualTo("Registry");
    // ... and its credentials work against the registry.
    Result withCreds =
        skopeo(
            env,
            "inspect",
            "--tls-verify=false",
            "--authfile",
            empty(),
            "--creds",
            login.get("username").asText() + ":" + login.get("password").asText(),
            "docker://" + image);
    assertThat(withCreds.exit()).as(withCreds.toString()).isZero();

    // A node with an empty cache: one ACR call, then none for the next invocation.
    Map<String, String> node = env(tmp.resolve("home-node"));
    kubelet(node, image);
    assertThat(tokenCalls()).isEqualTo(base + 2);
    kubelet(node, image);
    assertThat(tokenCalls()).isEqualTo(base + 2);
  }

  @Test
  void tokenCommandWritesAnAuthFileSkopeoLogsInWith() throws Exception {
    Map<String, String> env = env(tmp.resolve("home-token"));
    Path auth = tmp.resolve("home-token").resolve("token-auth.json");
    Result token =
        Processes.run(
            List.of(
                bin.resolve("acr-credential").toString(),
                "token",
                "--region",
                "cn-hangzhou",
                "--instance-id",
                INSTANCE,
                "--domain",
                host,
                "--output",
                auth.toString()),
            env,
            "");
    assertThat(token.exit()).as(token.toString()).isZero();
    assertThat(token.stdout() + token.stderr()).doesNotContain(PASSWORD);
    assertThat(Files.getPosixFilePermissions(auth))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

    // The written file is a plain Docker config: skopeo pushes and reads back with it alone.
    String image = host + "/e2e/token:v1";
    Result push =
        skopeo(
            env,
            "copy",
            "--dest-tls-verify=false",
            "--authfile",
            auth.toString(),
            "oci:" + layout + ":v1",
            "docker://" + image);
    assertThat(push.exit()).as(push.toString()).isZero();
    Result inspect =
        skopeo(
            env,
            "inspect",
            "--tls-verify=false",
            "--authfile",
            auth.toString(),
            "docker://" + image);
    assertThat(inspect.exit()).as(inspect.toString()).isZero();
    assertThat(Json.MAPPER.readTree(inspect.stdout()).get("Layers")).hasSize(1);
  }

  @Test
  void concurrentHelperProcessesMakeOneAcrCall() throws Exception {
    Map<String, String> env = env(tmp.resolve("home-concurrent"));
    // Make sure the class-data archive exists so the processes start together.
    Processes.run(List.of(bin.resolve("docker-credential-acr").toString(), "version"), env, "");
    int before = cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN);
    List<CompletableFuture<Result>> runs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      runs.add(
          CompletableFuture.supplyAsync(
              () ->
                  Processes.run(
                      List.of(bin.resolve("docker-credential-acr").toString(), "get"), env, host)));
    }
    for (CompletableFuture<Result> run : runs) {
      Result r = run.get(120, TimeUnit.SECONDS);
      assertThat(r.exit()).as(r.toString()).isZero();
      assertThat(Json.MAPPER.readTree(r.stdout()).get("Secret").asText()).isEqualTo(PASSWORD);
    }
    assertThat(cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN)).isEqualTo(before + 1);
  }

  @Test
  void malformedRequestThroughTheLauncherLeavesStdoutEmpty() {
    Map<String, String> env = env(tmp.resolve("home-malformed"));
    Result r =
        Processes.run(
            List.of(bin.resolve("acr-credential-provider").toString()), env, "{\"apiVersion\":1}");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.stdout()).isEmpty();
    assertThat(r.stderr().strip().lines().toList()).hasSize(1);
    assertThat(r.stderr()).startsWith("error: unsupported apiVersion");

    Result notFound =
        Processes.run(
            List.of(bin.resolve("docker-credential-acr").toString(), "get"), env, "quay.io");
    assertThat(notFound.exit()).isEqualTo(1);
    assertThat(notFound.stdout().strip()).isEqualTo("credentials not found in native keychain");
  }

  int tokenCalls() {
    return cloud.acr().callCount(FakeApi.GET_AUTHORIZATION_TOKEN);
  }

  JsonNode kubelet(Map<String, String> env, String image) throws IOException {
    String request =
        "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\","
            + "\"kind\":\"CredentialProviderRequest\",\"image\":\""
            + image
            + "\"}";
    Result r =
        Processes.run(List.of(bin.resolve("acr-credential-provider").toString()), env, request);
    assertThat(r.exit()).as(r.toString()).isZero();
    return Json.MAPPER.readTree(r.stdout());
  }

  Result skopeo(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
    command.addAll(List.of(args));
    return Processes.run(command, env, "");
  }

  String empty() throws IOException {
    Path file = tmp.resolve("empty-auth.json");
    Files.writeString(file, "{}");
    return file.toString();
  }

  Map<String, String> env(Path home) {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", bin + ":" + path());
    env.put("HOME", home.toString());
    env.put("XDG_RUNTIME_DIR", home.resolve("run").toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("ACR_CREDENTIAL_CDS_DIR", tmp.resolve("cds").toString());
    env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
    env.put("ACR_CREDENTIAL_SOURCE", "default-chain");
    env.put("ACR_CREDENTIAL_DOMAINS", host + "=cn-hangzhou/" + INSTANCE);
    env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", CliHarness.AK);
    env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", CliHarness.SECRET);
    env.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
    return env;
  }

  static String path() {
    return System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
  }

  /** A one-layer OCI image layout made by hand: no network, no image from elsewhere. */
  static final class OciLayout {
    private OciLayout() {}

    static Path create(Path dir, String tag, String content) throws Exception {
      Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
      Path files = Files.createDirectories(dir.resolve("../layer-content").normalize());
      Files.writeString(files.resolve("hello.txt"), content);
      Path tar = dir.resolve("../layer.tar").normalize();
      Result r =
          Processes.run(
              List.of(
                  "tar",
                  "--sort=name",
                  "--mtime=@0",
                  "--owner=0",
                  "--group=0",
                  "--numeric-owner",
                  "-cf",
                  tar.toString(),
                  "-C",
                  files.toString(),
                  "hello.txt"),
              Map.of("PATH", path()),
              "");
      assertThat(r.exit()).as(r.toString()).isZero();
      byte[] layer = Files.readAllBytes(tar);
      String layerDigest = blob(blobs, layer);
      String config =
          "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
              + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
              + layerDigest
              + "\"]}}";
      byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
      String configDigest = blob(blobs, configBytes);
      String manifest =
          "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
              + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
              + "\"digest\":\"sha256:"
              + configDigest
              + "\",\"size\":"
              + configBytes.length
              + "},"
              + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
              + "\"digest\":\"sha256:"
              + layerDigest
              + "\",\"size\":"
              + layer.length
              + "}]}";
      byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
      String manifestDigest = blob(blobs, manifestBytes);
      Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
      Files.writeString(
          dir.resolve("index.json"),
          "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
              + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
              + manifestDigest
              + "\",\"size\":"
              + manifestBytes.length
              + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\""
              + tag
              + "\"}}]}");
      return dir;
    }

    private static String blob(Path blobs, byte[] bytes) throws Exception {
      String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      Files.write(blobs.resolve(digest), bytes);
      return digest;
    }
  }
}
