package io.acrcredential.core.acr;

import com.aliyuncs.http.ProtocolType;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A service endpoint: host with optional port, and whether it is spoken to over plain HTTP.
 *
 * <p>Configured values are {@code host[:port]} (HTTPS), {@code https://host[:port]} or {@code
 * http://host[:port]}; the last is meant for tests and must be asked for explicitly.
 *
 * @param hostPort host and optional port, no scheme
 * @param plainHttp true only when the configuration said {@code http://}
 */
record Endpoint(String hostPort, boolean plainHttp) {

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9a-fA-F:.]+]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?");

  static Endpoint https(String hostPort) {
    return new Endpoint(hostPort, false);
  }

  /**
   * Parses a configured endpoint.
   *
   * @param value the configured text
   * @param setting the name of the setting, for the error message
   * @throws IllegalArgumentException naming the setting and the value when it is malformed
   */
  static Endpoint parse(String value, String setting) {
    return parse(value, setting, false);
  }

  /**
   * Parses a configured endpoint.
   *
   * @param value the configured text
   * @param setting the name of the setting, for the error message
   * @param plainByDefault whether a value without scheme means plain HTTP (the ECS metadata service
   *     speaks only HTTP)
   * @throws IllegalArgumentException naming the setting and the value when it is malformed
   */
  static Endpoint parse(String value, String setting, boolean plainByDefault) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(setting + " is empty; expected host[:port]");
    }
    String v = value.trim();
    boolean plain = plainByDefault;
    String lower = v.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://")) {
      plain = true;
      v = v.substring("http://".length());
    } else if (lower.startsWith("https://")) {
      plain = false;
      v = v.substring("https://".length());
    }
    if (v.endsWith("/")) {
      v = v.substring(0, v.length() - 1);
    }
    if (!HOST_PORT.matcher(v).matches()) {
      throw new IllegalArgumentException(
          setting
              + " '"
              + value
              + "' is not a valid endpoint; expected host[:port], https://host[:port] or (for"
              + " tests) http://host[:port], without a path");
    }
    return new Endpoint(v, plain);
  }

  ProtocolType protocol() {
    return plainHttp ? ProtocolType.HTTP : ProtocolType.HTTPS;
  }

  String baseUrl() {
    return (plainHttp ? "http://" : "https://") + hostPort;
  }

  @Override
  public String toString() {
    return baseUrl();
  }
}
