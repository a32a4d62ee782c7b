package io.acrcredential.kube.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command lines of etcd, kube-apiserver and kube-controller-manager, all on loopback, reading
 * their certificates and keys from the control plane's private directory ({@link
 * ControlPlaneStartup} writes them).
 */
final class ControlPlaneFlags {

  static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  private static final String CONTROLLERS =
      "namespace,serviceaccount,serviceaccount-token,root-ca-cert-publisher";

  private ControlPlaneFlags() {}

  static List<String> etcd(Path binary, Path dataDir, String clientUrl, String peerUrl) {
    return List.of(
        binary.toString(),
        "--name=acr-test",
        "--data-dir=" + dataDir,
        "--listen-client-urls=" + clientUrl,
        "--advertise-client-urls=" + clientUrl,
        "--listen-peer-urls=" + peerUrl,
        "--initial-advertise-peer-urls=" + peerUrl,
        "--initial-cluster=acr-test=" + peerUrl,
        "--initial-cluster-state=new",
        "--unsafe-no-fsync=true",
        "--log-level=warn");
  }

  /**
   * RBAC only, or with {@code nodeAuthorization} the Node authorizer and {@code NodeRestriction}
   * admission as a real cluster runs them.
   */
  static List<String> apiServer(
      Path binary, String etcdUrl, int port, Path dir, boolean nodeAuthorization) {
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--etcd-servers=" + etcdUrl,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--secure-port=" + port,
                "--cert-dir=" + dir.resolve("apiserver-certs"),
                "--tls-cert-file=" + dir.resolve("apiserver.crt"),
                "--tls-private-key-file=" + dir.resolve("apiserver.key"),
                "--client-ca-file=" + dir.resolve("ca.crt"),
                "--token-auth-file=" + dir.resolve("tokens.csv"),
                nodeAuthorization ? "--authorization-mode=Node,RBAC" : "--authorization-mode=RBAC",
                "--anonymous-auth=false",
                "--service-account-issuer=" + ISSUER,
                "--api-audiences=" + ISSUER,
                "--service-account-key-file=" + dir.resolve("sa.pub"),
                "--service-account-signing-key-file=" + dir.resolve("sa.key"),
                "--service-cluster-ip-range=10.0.0.0/24",
                "--endpoint-reconciler-type=none",
                "--enable-priority-and-fairness=false",
                "--profiling=false"));
    if (nodeAuthorization) {
      command.add("--enable-admission-plugins=NodeRestriction");
    }
    return List.copyOf(command);
  }

  /**
   * Only the namespace, serviceaccount, serviceaccount-token and root-ca-cert-publisher
   * controllers: namespaces finalize and get their {@code default} ServiceAccount.
   */
  static List<String> controllerManager(Path binary, Path kubeconfig, Path dir) {
    return List.of(
        binary.toString(),
        "--kubeconfig=" + kubeconfig,
        "--authentication-kubeconfig=" + kubeconfig,
        "--authorization-kubeconfig=" + kubeconfig,
        "--controllers=" + CONTROLLERS,
        "--leader-elect=false",
        "--secure-port=0",
        "--use-service-account-credentials=false",
        "--service-account-private-key-file=" + dir.resolve("sa.key"),
        "--root-ca-file=" + dir.resolve("ca.crt"),
        "--profiling=false");
  }
}
