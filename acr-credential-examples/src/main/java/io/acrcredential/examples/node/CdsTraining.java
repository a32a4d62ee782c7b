package io.acrcredential.examples.node;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.examples.cli.CredentialConfig;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntBiFunction;
import java.util.stream.Stream;

/**
 * The workload run once when the node bundle is built (src/node/build-node-bundle.sh, with {@code
 * -XX:DumpLoadedClassList}; never on a node), so the AppCDS archive holds the classes of every
 * path: request parsing, the disk cache, request signing and the HTTP client (the calls go to
 * {@code 127.0.0.1:1}, which refuses the connection at once). Its output is discarded.
 */
public final class CdsTraining {

  private CdsTraining() {}

  /**
   * Runs the workload.
   *
   * @param program runs one command line of the program in-process, as {@code Main} does
   * @return the exit code: 0, or 1 when no temporary directory could be made
   */
  public static int run(ToIntBiFunction<List<String>, Invocation> program) {
    Path dir;
    try {
      dir = Files.createTempDirectory("acr-credential-cds");
    } catch (IOException e) {
      return 1;
    }
    try {
      Map<String, String> env =
          Map.of(
              "HOME", dir.toString(),
              "ACR_CREDENTIAL_ACR_ENDPOINT", "http://127.0.0.1:1",
              "ACR_CREDENTIAL_STS_ENDPOINT", "http://127.0.0.1:1",
              "ACR_CREDENTIAL_METADATA_ENDPOINT", "http://127.0.0.1:1",
              "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAItraining",
              "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "training",
              "ACR_CREDENTIAL_DOMAINS", "127.0.0.1:5000=cn-hangzhou/cri-training1");
      String request =
          "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\","
              + "\"kind\":\"CredentialProviderRequest\","
              + "\"image\":\"registry.cn-hangzhou.aliyuncs.com/ns/app:1\"}";
      String saRequest =
          "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\","
              + "\"kind\":\"CredentialProviderRequest\","
              + "\"image\":\"x-registry.cn-hangzhou.cr.aliyuncs.com/ns/app:1\","
              + "\"serviceAccountToken\":\"a.b.c\",\"serviceAccountAnnotations\":{"
              + "\"acr-credential.io/role-arn\":\"acs:ram::1:role/r\","
              + "\"acr-credential.io/oidc-provider-arn\":\"acs:ram::1:oidc-provider/p\"}}";
      exercise(
          env,
          request,
          List.of("kubelet-credential-provider", "--credential-source", "default-chain"),
          program);
      exercise(env, saRequest, List.of("kubelet-credential-provider"), program);
      exercise(env, "127.0.0.1:5000", List.of("docker-credential", "get"), program);
      // The calls above fail (nothing answers on 127.0.0.1:1), so nothing was cached: put a token
      // into the disk cache as a fetch would, then make the warm calls, the common case on a
      // node, so that their classes and lambdas are in the archive too.
      seedCache(env);
      exercise(env, "127.0.0.1:5000", List.of("docker-credential", "get"), program);
      exercise(
          env,
          request.replace("registry.cn-hangzhou.aliyuncs.com", "127.0.0.1:5000"),
          List.of("kubelet-credential-provider"),
          program);
      exercise(
          env,
          "x-registry.cn-hangzhou.cr.aliyuncs.com",
          List.of("docker-credential", "get"),
          program);
      exercise(env, "", List.of("docker-credential", "list"), program);
      exercise(env, "", List.of("token", "--region", "cn-hangzhou", "--format", "json"), program);
      exercise(env, "", List.of("token", "--help"), program);
      return 0;
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory left behind is harmless
      }
    }
  }

  private static void seedCache(Map<String, String> env) {
    Invocation io = invocation(env, "", new ByteArrayOutputStream());
    Options.Parsed p = new DockerCredentialCommand().options().parse(List.of("get"), io);
    CredentialConfig config = CredentialConfig.from(p, io, CredentialConfig.Source.DEFAULT_CHAIN);
    RegistryTarget target =
        RegistryTarget.enterprise("cn-hangzhou", "cri-training1")
            .withDomains(List.of("127.0.0.1:5000"));
    DiskTokenCache.forUser(io)
        .get(
            config.identityKey(),
            target,
            () ->
                new RegistryCredential(
                    "cr_temp_user",
                    "training",
                    io.clock().instant().plus(Duration.ofHours(1)),
                    target.domains()));
  }

  private static Invocation invocation(
      Map<String, String> env, String stdin, ByteArrayOutputStream sink) {
    PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
    return new Invocation(
        env,
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        out,
        out,
        Clock.systemUTC(),
        Path.of(env.get("HOME")));
  }

  private static void exercise(
      Map<String, String> env,
      String stdin,
      List<String> args,
      ToIntBiFunction<List<String>, Invocation> program) {
    program.applyAsInt(args, invocation(env, stdin, new ByteArrayOutputStream()));
  }
}
