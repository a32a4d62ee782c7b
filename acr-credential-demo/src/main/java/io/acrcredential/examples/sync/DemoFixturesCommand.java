package io.acrcredential.examples.sync;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.logging.LogSetup;
import io.acrcredential.kube.testing.LocalKubeApiServer;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code demo-fixtures --dir DIR}: what the demo runs against (the fake Alibaba Cloud and a local
 * kube-apiserver with two watched namespaces and the {@code acr-configuration} ConfigMap), kept
 * running for a program started elsewhere, e.g. {@code sync --once} from the image (see
 * src/image/verify-image.sh). Writes {@code DIR/kubeconfig} (self-contained) and {@code DIR/env}
 * (the endpoints and the fake AccessKey, one {@code NAME=value} a line), prints {@code ready},
 * waits until standard input ends, then checks that every watched namespace got its pull Secret and
 * patched ServiceAccounts: exit 0 and {@code verified: ...}, else exit 1 saying what is missing.
 */
public final class DemoFixturesCommand extends BasicCommand {

  static final List<String> WATCHED = List.of("team-a", "team-b");

  private static final Options OPTIONS =
      new Options("demo-fixtures")
          .value("dir", "DIR", null, "where to write kubeconfig and env (must exist)")
          .value(
              "kube-bin",
              "DIR",
              "ACR_KUBE_BIN",
              "directory with etcd, kube-apiserver, kube-controller-manager (default: the build"
                  + " cache ~/.cache/acr-credential)");

  /** The command with its options and help. */
  public DemoFixturesCommand() {
    super(
        "demo-fixtures",
        "the demo's fake ACR and local API server, for a program started elsewhere",
        "Usage: acr-credential demo-fixtures --dir DIR [--kube-bin DIR]\n\n"
            + "Starts the fake Alibaba Cloud and a local Kubernetes API server on 127.0.0.1 with\n"
            + "namespaces team-a and team-b watched by kube-system/acr-configuration, writes\n"
            + "DIR/kubeconfig and DIR/env, prints 'ready' and waits for the end of standard input;\n"
            + "then checks the pull Secrets and ServiceAccounts a sync must have written.\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    LogSetup.configure(LogSetup.Format.PLAIN, "error", io.err());
    Path dir =
        Path.of(p.value("dir").orElseThrow(() -> CliException.usage("--dir DIR is required")));
    PrintStream out = io.out();
    try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
      cloud.identities().addAccessKey(DemoCommand.AK, DemoCommand.AK_SECRET);
      cloud.acr().addInstance(AcrInstance.of(DemoCommand.INSTANCE, "demo", DemoCommand.REGION));
      try (LocalKubeApiServer server = DemoCommand.startServer(p.value("kube-bin"))) {
        CoreV1Api core = new CoreV1Api(server.adminClient());
        for (String ns : List.of("team-a", "team-b", "team-c")) {
          core.createNamespace(new V1Namespace().metadata(new V1ObjectMeta().name(ns))).execute();
          for (String sa : List.of("default", "builder")) {
            DemoCommand.createServiceAccount(core, ns, sa);
          }
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("watch-namespace", String.join(",", WATCHED));
        data.put("service-account", "default,builder");
        data.put(
            "acr-registry-info",
            "- instanceId: \""
                + DemoCommand.INSTANCE
                + "\"\n  regionId: \""
                + DemoCommand.REGION
                + "\"\n");
        core.createNamespacedConfigMap(
                "kube-system",
                new V1ConfigMap().metadata(new V1ObjectMeta().name("acr-configuration")).data(data))
            .execute();
        // readable by the image's user: only fake credentials and a loopback server
        write(dir.resolve("kubeconfig"), Files.readString(server.kubeconfig()));
        write(
            dir.resolve("env"),
            "ACR_CREDENTIAL_ACR_ENDPOINT=http://"
                + cloud.acr().endpoint()
                + "\nACR_CREDENTIAL_STS_ENDPOINT=http://"
                + cloud.sts().endpoint()
                + "\nACR_CREDENTIAL_METADATA_ENDPOINT=http://"
                + cloud.metadata().endpoint()
                + "\nALIBABA_CLOUD_ACCESS_KEY_ID="
                + DemoCommand.AK
                + "\nALIBABA_CLOUD_ACCESS_KEY_SECRET="
                + DemoCommand.AK_SECRET
                + "\n");
        out.println("ready");
        out.flush();
        io.in().transferTo(java.io.OutputStream.nullOutputStream());
        return verify(core, out);
      }
    } catch (IOException e) {
      throw CliException.failure("demo-fixtures: " + e.getMessage());
    } catch (ApiException e) {
      throw CliException.failure("demo-fixtures: API error " + e.getCode());
    }
  }

  private static int verify(CoreV1Api core, PrintStream out) throws ApiException {
    String name = DockerConfig.secretName(DemoCommand.DOMAIN);
    int secrets = 0;
    int patched = 0;
    StringBuilder missing = new StringBuilder();
    for (String ns : WATCHED) {
      if (DemoCommand.secret(core, ns, name).isPresent()) {
        secrets++;
      } else {
        missing.append(" no Secret ").append(ns).append('/').append(name).append(';');
      }
      for (String sa : List.of("default", "builder")) {
        if (DemoCommand.pullSecrets(core, ns, sa).contains(name)) {
          patched++;
        } else {
          missing.append(" ServiceAccount ").append(ns).append('/').append(sa);
          missing.append(" not patched;");
        }
      }
    }
    if (DemoCommand.secret(core, "team-c", name).isPresent()) {
      missing.append(" a Secret in team-c, which is not watched;");
    }
    if (missing.length() > 0) {
      out.println("not verified:" + missing);
      return 1;
    }
    out.println("verified: " + secrets + " Secret(s), " + patched + " ServiceAccount(s) patched");
    return 0;
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
  }
}
