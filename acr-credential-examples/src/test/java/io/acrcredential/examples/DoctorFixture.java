package io.acrcredential.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.examples.cli.Invocation;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1ServiceReference;
import io.kubernetes.client.openapi.models.AdmissionregistrationV1WebhookClientConfig;
import io.kubernetes.client.openapi.models.V1MutatingWebhook;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1RuleWithOperations;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@link DoctorIT} (API server only) and {@link NodeDoctorIT} (a real node) both set up to
 * provoke a doctor diagnosis, and how both read its conclusion.
 */
public final class DoctorFixture {

  private DoctorFixture() {}

  /** The program in-process with {@code env}, no input, the system clock and {@code home}. */
  public static CliHarness.Result runInProcess(Map<String, String> env, Path home, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Invocation io =
        new Invocation(
            env,
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC(),
            home);
    int exit = Main.run(List.of(args), io);
    return new CliHarness.Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * The lines after {@code conclusion:} in doctor's text output; asserts there are one to three.
   */
  public static List<String> conclusionLines(String stdout) {
    int at = stdout.indexOf("\nconclusion:\n");
    assertThat(at).as(stdout).isPositive();
    List<String> lines = new ArrayList<>();
    for (String l : stdout.substring(at + "\nconclusion:\n".length()).split("\n")) {
      if (!l.isBlank()) {
        lines.add(l.strip());
      }
    }
    assertThat(lines).as("at most three lines").hasSizeBetween(1, 3);
    return lines;
  }

  /** A pull Secret of that name with no acr-credential label and no login in it: a clash. */
  public static V1Secret unmanagedPullSecret(String name) {
    return new V1Secret()
        .metadata(new V1ObjectMeta().name(name))
        .type("kubernetes.io/dockerconfigjson")
        .data(Map.of(".dockerconfigjson", "{\"auths\":{}}".getBytes(StandardCharsets.UTF_8)));
  }

  /** A Service {@code webhook} whose selector matches no Pod: it never has a ready endpoint. */
  public static V1Service endpointlessWebhookService(String suffix) {
    return new V1Service()
        .metadata(new V1ObjectMeta().name("webhook"))
        .spec(
            new V1ServiceSpec()
                .selector(Map.of("app", "nothing-" + suffix))
                .ports(List.of(new V1ServicePort().port(443))));
  }

  /**
   * The Pod webhook entry {@code pods.acr-credential.io} (Pod CREATE, failure policy Ignore) sent
   * to Service {@code serviceNamespace/webhook}; the caller adds which objects it selects.
   */
  public static V1MutatingWebhook podWebhookToService(String serviceNamespace) {
    return new V1MutatingWebhook()
        .name("pods.acr-credential.io")
        .admissionReviewVersions(List.of("v1"))
        .sideEffects("None")
        .failurePolicy("Ignore")
        .rules(
            List.of(
                new V1RuleWithOperations()
                    .apiGroups(List.of(""))
                    .apiVersions(List.of("v1"))
                    .resources(List.of("pods"))
                    .operations(List.of("CREATE"))))
        .clientConfig(
            new AdmissionregistrationV1WebhookClientConfig()
                .service(
                    new AdmissionregistrationV1ServiceReference()
                        .namespace(serviceNamespace)
                        .name("webhook")
                        .port(443)
                        .path("/mutate-pods")));
  }
}
