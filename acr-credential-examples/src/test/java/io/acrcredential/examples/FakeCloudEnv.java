package io.acrcredential.examples;

import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The fake Alibaba Cloud a test starts the jar against, and the environment that points the jar at
 * it: the ACR, STS and metadata endpoints on loopback, one AccessKey, a home and a kubeconfig, and
 * nothing inherited from the machine but {@code PATH}.
 */
public final class FakeCloudEnv {

  /** The user name of the fixed ACR token the tests hand out. */
  public static final String TOKEN_USER = "cr_temp_user";

  private FakeCloudEnv() {}

  /**
   * A fake cloud that knows the AccessKey {@code ak}/{@code secret} and answers every ACR token
   * request with {@link #TOKEN_USER}/{@code password}.
   *
   * @param instance the ACR instance it serves, or null for none yet
   */
  public static FakeAlibabaCloud start(
      String ak, String secret, AcrInstance instance, String password) {
    FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(ak, secret);
    if (instance != null) {
      cloud.acr().addInstance(instance);
    }
    cloud.acr().useFixedToken(TOKEN_USER, password);
    return cloud;
  }

  /** A new environment with only what {@link #put} writes. */
  public static Map<String, String> env(
      Path home, Path kubeconfig, FakeAlibabaCloud cloud, String ak, String secret) {
    return put(new HashMap<>(), home, kubeconfig, cloud, ak, secret);
  }

  /**
   * Sets {@code HOME}, {@code PATH} (the test's own), {@code KUBECONFIG}, the three cloud endpoints
   * and the AccessKey in {@code env}, over whatever it held for them; returns {@code env}.
   */
  public static Map<String, String> put(
      Map<String, String> env,
      Path home,
      Path kubeconfig,
      FakeAlibabaCloud cloud,
      String ak,
      String secret) {
    env.put("HOME", home.toString());
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("KUBECONFIG", kubeconfig.toString());
    env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
    env.put("ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint());
    env.put("ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint());
    env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", ak);
    env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret);
    return env;
  }
}
