package io.acrcredential.k8s.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiErrorsTest {

  private static final ApiClient API = new ApiClient().setBasePath("https://127.0.0.1:6443");

  private static final Map<String, List<String>> HEADERS =
      Map.of("Audit-Id", List.of("0f3c-audit"), "Content-Type", List.of("application/json"));

  private static ApiException answered(int code, String body) {
    return new ApiException("Forbidden", code, HEADERS, body);
  }

  @Test
  void anUnreachableServerIsNamedWithTheCause() {
    ApiException e = new ApiException(new ConnectException("Connection refused"));
    assertThat(ApiErrors.describe(API, e))
        .isEqualTo(
            "cannot reach the Kubernetes API server at https://127.0.0.1:6443"
                + " (ConnectException: Connection refused)");
  }

  @Test
  void anAnswerIsItsCodeAndTheStatusMessageInOneLine() {
    String status =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"
            + "\"secrets is forbidden: User \\\"bob\\\" cannot create resource \\\"secrets\\\"\","
            + "\"reason\":\"Forbidden\",\"code\":403}";
    assertThat(ApiErrors.describe(API, answered(403, status)))
        .isEqualTo(
            "HTTP 403: secrets is forbidden: User \"bob\" cannot create resource \"secrets\"");
    assertThat(ApiErrors.statusMessage(API, answered(403, status)))
        .startsWith("secrets is forbidden");
  }

  @Test
  void aBodyThatIsNoStatusOrTooLongIsLeftOutAndSoAreTheHeaders() {
    for (String body :
        new String[] {
          null,
          "",
          "<html>bad gateway\nsecond line</html>",
          "{\"message\":\"" + "x".repeat(ApiErrors.MAX_BODY) + "\"}"
        }) {
      String line = ApiErrors.describe(API, answered(502, body));
      assertThat(line).isEqualTo("HTTP 502");
      assertThat(ApiErrors.statusMessage(API, answered(502, body))).isEmpty();
    }
    assertThat(ApiErrors.describe(API, answered(404, "{\"kind\":\"Status\"}")))
        .isEqualTo("HTTP 404")
        .doesNotContain("Audit-Id", "\n");
  }
}
