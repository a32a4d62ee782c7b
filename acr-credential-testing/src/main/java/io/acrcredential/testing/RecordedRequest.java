package io.acrcredential.testing;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A request as a fake received it, for assertions. Accessors return the real values (including
 * signatures and security tokens, so tests can check they were sent); {@link #toString()} hides
 * them.
 *
 * @param api the operation the request was routed to
 * @param method the HTTP method
 * @param path the request path, e.g. {@code /tokens} or {@code /}
 * @param headers header names in lower case, each to its first value
 * @param params decoded query and form parameters
 * @param receivedAt the fake clock's time when the request arrived
 */
public record RecordedRequest(
    FakeApi api,
    String method,
    String path,
    Map<String, String> headers,
    Map<String, String> params,
    Instant receivedAt) {

  private static final Set<String> SECRET_HEADERS =
      Set.of("authorization", "x-acs-security-token", "x-aliyun-ecs-metadata-token");
  private static final Set<String> SECRET_PARAMS =
      Set.of("Signature", "SecurityToken", "OIDCToken", "AccessKeySecret");

  /**
   * Copies the maps into immutable sorted maps.
   *
   * @param api the operation the request was routed to
   * @param method the HTTP method
   * @param path the request path, e.g. {@code /tokens} or {@code /}
   * @param headers header names in lower case, each to its first value
   * @param params decoded query and form parameters
   * @param receivedAt the fake clock's time when the request arrived
   */
  public RecordedRequest {
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    headers = Map.copyOf(headers);
    params = Map.copyOf(params);
    Objects.requireNonNull(receivedAt, "receivedAt");
  }

  /**
   * A header's value by case-insensitive name.
   *
   * @param name the header name
   * @return its first value, or null when absent
   */
  public String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * A query or form parameter's decoded value.
   *
   * @param name the parameter name (case-sensitive)
   * @return its value, or null when absent
   */
  public String param(String name) {
    return params.get(name);
  }

  @Override
  public String toString() {
    return "RecordedRequest["
        + api
        + " "
        + method
        + " "
        + path
        + ", headers="
        + redact(headers, SECRET_HEADERS)
        + ", params="
        + redact(params, SECRET_PARAMS)
        + ", receivedAt="
        + receivedAt
        + "]";
  }

  private static Map<String, String> redact(Map<String, String> values, Set<String> secret) {
    Map<String, String> shown = new TreeMap<>();
    values.forEach((k, v) -> shown.put(k, secret.contains(k) ? "***" : v));
    return shown;
  }
}
