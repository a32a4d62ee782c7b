package io.acrcredential.examples.cli;

import io.acrcredential.k8s.config.AcrConfigParser;
import java.util.function.UnaryOperator;

/**
 * Options that the commands reading a cluster ({@code sync}, {@code doctor}, {@code status}) share:
 * their declaration and help line, and how their values are read.
 */
public final class ClusterOptions {

  /** The refresher's ConfigMap unless {@code --configmap} names another. */
  public static final String DEFAULT_CONFIGMAP = "kube-system/acr-configuration";

  private ClusterOptions() {}

  /**
   * Adds {@code --configmap} and {@code --instance}: which refresher a command reads about.
   *
   * @param o the command's options
   * @return the options
   */
  public static Options refresher(Options o) {
    return o.value(
            "configmap",
            "NS/NAME",
            "ACR_CREDENTIAL_CONFIGMAP",
            "the refresher's ConfigMap (default " + DEFAULT_CONFIGMAP + ")")
        .value(
            "instance",
            "NAME",
            "ACR_CREDENTIAL_INSTANCE",
            "the refresher's instance name (default 'default')");
  }

  /**
   * Adds {@code --kubeconfig}.
   *
   * @param o the command's options
   * @return the options
   */
  public static Options kubeconfig(Options o) {
    return o.value(
        "kubeconfig",
        "FILE",
        "KUBECONFIG",
        "kubeconfig file (default: ~/.kube/config, else the in-cluster service account)");
  }

  /**
   * Adds {@code --region}, read by {@link #configParser}.
   *
   * @param help the option's line in the command's help
   * @return what adds it
   */
  public static UnaryOperator<Options> region(String help) {
    return o -> o.value("region", "REGION", "ACR_CREDENTIAL_REGION", help);
  }

  /**
   * Adds {@code --acr-endpoint}, {@code --sts-endpoint} and {@code --metadata-endpoint}, read by
   * {@link AcrEndpoints#from}.
   *
   * @param o the command's options
   * @return the options
   */
  public static Options endpoints(Options o) {
    return o.value(
            "acr-endpoint",
            "URL",
            CredentialConfig.ENV_ACR_ENDPOINT,
            "ACR OpenAPI endpoint (host[:port] = HTTPS; http://host:port = plain HTTP, tests)")
        .value("sts-endpoint", "URL", CredentialConfig.ENV_STS_ENDPOINT, "STS endpoint")
        .value(
            "metadata-endpoint",
            "URL",
            CredentialConfig.ENV_METADATA_ENDPOINT,
            "ECS metadata endpoint (default 100.100.100.200)");
  }

  /**
   * The parser of the {@code acr-configuration} for {@code --region} (or its environment variable),
   * or for no cluster region.
   *
   * @param p the parsed options
   * @return the parser
   * @throws CliException (usage) when the region is not a region id
   */
  public static AcrConfigParser configParser(Options.Parsed p) {
    try {
      return p.value("region")
          .map(AcrConfigParser::forClusterRegion)
          .orElseGet(AcrConfigParser::withoutClusterRegion);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }
}
