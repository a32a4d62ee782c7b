package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.k8s.webhook.RegistrationProblem;
import io.acrcredential.k8s.webhook.RegistrationProblem.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The library's registration problems reach this program's users with its flags and files. */
class WebhookServingTest {

  private static String hinted(Kind kind) {
    return WebhookServing.withHint(new RegistrationProblem(kind, "the library's message"));
  }

  @Test
  void eachProblemKeepsTheLibrarysMessageAndGetsThisProgramsHint() {
    assertThat(hinted(Kind.MISSING))
        .startsWith("the library's message (")
        .contains("kubectl apply -k acr-credential-examples/deploy/webhook")
        .contains("--webhook-configuration-name");
    assertThat(hinted(Kind.MISSING_ENTRY))
        .isEqualTo("the library's message (give its name with --webhook-name)");
    assertThat(hinted(Kind.NOT_OURS)).contains("--webhook-cert-file and --webhook-key-file");
    assertThat(hinted(Kind.FORBIDDEN))
        .isEqualTo("the library's message (see acr-credential-examples/deploy/webhook/rbac.yaml)");
  }

  @Test
  void theHintedManifestsExist() {
    Pattern path = Pattern.compile("acr-credential-examples/(deploy/[\\w./-]*\\w)");
    for (Kind kind : Kind.values()) {
      Matcher m = path.matcher(hinted(kind));
      while (m.find()) {
        assertThat(Files.exists(Path.of(m.group(1)))).as(kind + ": " + m.group(1)).isTrue();
      }
    }
  }
}
