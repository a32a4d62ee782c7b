package io.acrcredential.examples.sync;

/**
 * Settings for the JDK's built-in HTTP(S) server, which the {@code demo} command's fake cloud
 * endpoints use ({@code sync}'s own endpoints run on Jetty: {@link HttpServers}).
 *
 * <p>The JDK server leaves Nagle's algorithm on unless {@code sun.net.httpserver.nodelay} is set,
 * which the server reads once, when its first instance is created. A small admission response then
 * waits for the API server's delayed ACK: measured on the local kube-apiserver, a Pod creation
 * through the webhook took p50 52 ms with it and 7.5 ms without it ({@code
 * PodPullSecretWebhookIT}).
 */
public final class JdkHttpServers {

  static final String NODELAY = "sun.net.httpserver.nodelay";

  private JdkHttpServers() {}

  /**
   * Turns Nagle's algorithm off for every JDK server this process creates, unless the user set the
   * property; call before creating the first one.
   */
  public static void preferNoDelay() {
    if (System.getProperty(NODELAY) == null) {
      System.setProperty(NODELAY, "true");
    }
  }
}
