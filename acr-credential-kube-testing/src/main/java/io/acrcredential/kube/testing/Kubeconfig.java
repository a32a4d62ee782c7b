package io.acrcredential.kube.testing;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Renders the one-cluster, one-user kubeconfig files that tests and child processes read. */
final class Kubeconfig {

  private Kubeconfig() {}

  /** A kubeconfig with a bearer token, the CA embedded. */
  static String withToken(URI server, String caPem, String user, String token) {
    String ca = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
    return render(server, "certificate-authority-data: " + ca, user, "    token: " + token + "\n");
  }

  /** A kubeconfig with a bearer token, the CA read from {@code caFile}. */
  static String withTokenAndCaFile(
      URI server, java.nio.file.Path caFile, String user, String token) {
    return render(server, "certificate-authority: " + caFile, user, "    token: " + token + "\n");
  }

  /** A kubeconfig with a client certificate, every PEM read from a file. */
  static String withClientCertificate(
      URI server,
      java.nio.file.Path caFile,
      String user,
      java.nio.file.Path certificate,
      java.nio.file.Path key) {
    return render(
        server,
        "certificate-authority: " + caFile,
        user,
        "    client-certificate: " + certificate + "\n    client-key: " + key + "\n");
  }

  private static String render(URI server, String caLine, String user, String userLines) {
    return "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: local\n"
        + "  cluster:\n"
        + "    server: "
        + server
        + "\n"
        + "    "
        + caLine
        + "\n"
        + "users:\n"
        + "- name: "
        + user
        + "\n"
        + "  user:\n"
        + userLines
        + "contexts:\n"
        + "- name: local\n"
        + "  context:\n"
        + "    cluster: local\n"
        + "    user: "
        + user
        + "\n"
        + "current-context: local\n";
  }
}
