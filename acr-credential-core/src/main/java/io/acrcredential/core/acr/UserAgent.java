package io.acrcredential.core.acr;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import okhttp3.Interceptor;
import okhttp3.Request;

/**
 * The {@code User-Agent} of every outbound call: {@code acr-credential/<version>}, the version
 * written into a resource by the build. Alibaba's SDK keeps its own agent string and gets this one
 * appended; the plain calls (ECS metadata, OIDC, credentials URI) send it instead of OkHttp's.
 */
final class UserAgent {

  /** The product token. */
  static final String PRODUCT = "acr-credential";

  /** This build's version, e.g. {@code 0.1.0-SNAPSHOT}. */
  static final String VERSION = readVersion();

  /** {@code acr-credential/<version>}. */
  static final String VALUE = PRODUCT + "/" + VERSION;

  private UserAgent() {}

  /**
   * Reads {@code version.properties}, which Maven fills in. Without it (a class path assembled by
   * hand) the version is "unknown": never a made-up one.
   */
  static String readVersion() {
    try (InputStream in = UserAgent.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "").strip();
      // unfiltered (${...}) or malformed: the build did not run; not a header-safe token either
      return v.matches("[0-9A-Za-z.+_-]{1,64}") ? v : "unknown";
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * An interceptor that sets the agent on requests without one (OkHttp's default comes later, in
   * its bridge) and appends it to the agent Alibaba's SDK sets.
   */
  static Interceptor interceptor() {
    return chain -> {
      Request request = chain.request();
      return chain.proceed(
          request.newBuilder().header("User-Agent", value(request.header("User-Agent"))).build());
    };
  }

  static String value(String existing) {
    if (existing == null || existing.isBlank()) {
      return VALUE;
    }
    return existing.contains(VALUE) ? existing : existing + " " + VALUE;
  }
}
