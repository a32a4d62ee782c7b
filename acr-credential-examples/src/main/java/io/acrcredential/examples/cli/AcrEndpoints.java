package io.acrcredential.examples.cli;

import io.acrcredential.k8s.identity.RegistryTokenProviders;
import java.util.Objects;
import java.util.Optional;

/**
 * The program's endpoint overrides ({@code --acr-endpoint}, {@code --sts-endpoint}, {@code
 * --metadata-endpoint}: tests, private networks); empty for Alibaba Cloud's defaults.
 *
 * @param acr the ACR OpenAPI endpoint
 * @param sts the STS endpoint
 * @param metadata the ECS metadata endpoint
 */
public record AcrEndpoints(Optional<String> acr, Optional<String> sts, Optional<String> metadata) {

  /**
   * Checks the values.
   *
   * @param acr the ACR OpenAPI endpoint
   * @param sts the STS endpoint
   * @param metadata the ECS metadata endpoint
   * @throws NullPointerException naming a missing value
   */
  public AcrEndpoints {
    Objects.requireNonNull(acr, "acr");
    Objects.requireNonNull(sts, "sts");
    Objects.requireNonNull(metadata, "metadata");
  }

  /**
   * The overrides a command was given.
   *
   * @param p the parsed {@code --acr-endpoint}, {@code --sts-endpoint} and {@code
   *     --metadata-endpoint} (or their environment variables)
   * @return the overrides, empty where none was given
   */
  public static AcrEndpoints from(Options.Parsed p) {
    return new AcrEndpoints(
        p.value("acr-endpoint"), p.value("sts-endpoint"), p.value("metadata-endpoint"));
  }

  /**
   * Sets the overrides on a builder.
   *
   * @param b the builder
   * @return the builder
   */
  public RegistryTokenProviders.Builder applyTo(RegistryTokenProviders.Builder b) {
    acr.ifPresent(b::acrEndpoint);
    sts.ifPresent(b::stsEndpoint);
    metadata.ifPresent(b::metadataEndpoint);
    return b;
  }
}
