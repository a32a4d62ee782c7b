package io.acrcredential.kube.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Where the etcd, kube-apiserver and kube-controller-manager binaries built by {@code
 * test-infra/kube/build.sh} are found.
 *
 * <p>Order: the system property {@value #DIR_PROPERTY}, the environment variable {@value #DIR_ENV},
 * then the build script's cache directory {@code
 * ${ACR_KUBE_CACHE:-$HOME/.cache/acr-credential}/kube-<k8s>-etcd-<etcd>/bin}.
 */
record KubeBinaries(Path directory, Path etcd, Path apiServer, Optional<Path> controllerManager) {

  /** Must equal the k8s.io/kubernetes version in test-infra/kube/go.mod (checked by a test). */
  static final String KUBERNETES_VERSION = "v1.34.4";

  /** Must equal the go.etcd.io/etcd/server/v3 version in test-infra/kube/go.mod. */
  static final String ETCD_VERSION = "v3.6.4";

  static final String DIR_PROPERTY = "acr.kube.bin";
  static final String DIR_ENV = "ACR_KUBE_BIN";
  static final String CACHE_ENV = "ACR_KUBE_CACHE";

  static final String BUILD_HINT =
      "build them with `bash test-infra/kube/build.sh` from the repository root"
          + " (needs Go >= 1.24 and the Go module proxy; the first build takes about 12 minutes on 2 cores)";

  /** Looks in the real system properties and environment. */
  static Optional<KubeBinaries> locate() {
    return locate(System::getProperty, System.getenv());
  }

  static Optional<KubeBinaries> locate(UnaryOperator<String> properties, Map<String, String> env) {
    return in(searchedDirectory(properties, env));
  }

  /** The binaries in {@code dir}, if etcd and kube-apiserver are there and executable. */
  static Optional<KubeBinaries> in(Path dir) {
    Path etcd = dir.resolve("etcd");
    Path apiServer = dir.resolve("kube-apiserver");
    Path controllerManager = dir.resolve("kube-controller-manager");
    if (!Files.isExecutable(etcd) || !Files.isExecutable(apiServer)) {
      return Optional.empty();
    }
    return Optional.of(
        new KubeBinaries(
            dir,
            etcd,
            apiServer,
            Files.isExecutable(controllerManager)
                ? Optional.of(controllerManager)
                : Optional.empty()));
  }

  /** The kubelet next to the control-plane binaries, when it was built. */
  Optional<Path> kubelet() {
    Path kubelet = directory.resolve("kubelet");
    return Files.isExecutable(kubelet) ? Optional.of(kubelet) : Optional.empty();
  }

  /** The directory {@link #locate} looks in, for messages. */
  static Path searchedDirectory(UnaryOperator<String> properties, Map<String, String> env) {
    String explicit = properties.apply(DIR_PROPERTY);
    if (isSet(explicit)) {
      return Path.of(explicit);
    }
    explicit = env.get(DIR_ENV);
    if (isSet(explicit)) {
      return Path.of(explicit);
    }
    String cache = env.get(CACHE_ENV);
    Path cacheRoot =
        isSet(cache)
            ? Path.of(cache)
            : Path.of(properties.apply("user.home"), ".cache", "acr-credential");
    return cacheRoot.resolve("kube-" + KUBERNETES_VERSION + "-etcd-" + ETCD_VERSION).resolve("bin");
  }

  /** Message for a missing binary: where it was looked for and how to build it. */
  static String missingMessage(UnaryOperator<String> properties, Map<String, String> env) {
    return "kube-apiserver and etcd "
        + KUBERNETES_VERSION
        + "/"
        + ETCD_VERSION
        + " not found in "
        + searchedDirectory(properties, env)
        + " (override with -D"
        + DIR_PROPERTY
        + "=DIR or "
        + DIR_ENV
        + "=DIR); "
        + BUILD_HINT;
  }

  static String missingMessage() {
    return missingMessage(System::getProperty, System.getenv());
  }

  private static boolean isSet(String value) {
    return value != null && !value.isBlank();
  }
}
