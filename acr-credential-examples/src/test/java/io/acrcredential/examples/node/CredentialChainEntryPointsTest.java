package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.CliHarness;
import io.acrcredential.examples.CliHarness.Result;
import io.acrcredential.examples.cli.CredentialConfig;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.identity.RegistryTokenProviders;
import io.acrcredential.testing.IssuedToken;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every entry point (token, Docker helper, kubelet plugin, sync) takes its identity from Alibaba
 * Cloud's default chain over its own environment: AccessKey variables win over the node's RAM role,
 * and {@code ALIBABA_CLOUD_ECS_METADATA_DISABLED=true} keeps them all away from the metadata
 * service.
 */
class CredentialChainEntryPointsTest {

  static final String NODE_ROLE = "acs:ram::1234567890123456:role/KubernetesWorkerRole";
  static final String HOST = "registry.cn-hangzhou.aliyuncs.com";

  @TempDir Path home;
  CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(home);
    cli.env.put(DiskTokenCache.ENV_DISABLED, "true");
    cli.cloud.identities().addRole(NODE_ROLE);
    cli.cloud.metadata().attachRole("KubernetesWorkerRole", NODE_ROLE);
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  /** Gets a password for {@link #HOST} through one entry point; empty when it failed. */
  Optional<String> login(String entryPoint) {
    switch (entryPoint) {
      case "token" -> {
        Result r = cli.run("", "token", "--region", "cn-hangzhou", "--format", "json");
        return r.exit() == 0 ? Optional.of(r.stdout()) : failed(r);
      }
      case "docker-helper" -> {
        Result r = cli.run(HOST, "docker-credential", "get");
        return r.exit() == 0 ? Optional.of(r.stdout()) : failed(r);
      }
      case "kubelet-plugin" -> {
        String request =
            "{\"apiVersion\":\""
                + KubeletCommand.API_VERSION
                + "\",\"kind\":\"CredentialProviderRequest\",\"image\":\""
                + HOST
                + "/team/app:1\"}";
        Result r = cli.run(request, "kubelet-credential-provider");
        return r.exit() == 0 ? Optional.of(r.stdout()) : failed(r);
      }
      case "sync" -> {
        RegistryTokenProviders providers =
            RegistryTokenProviders.builder()
                .acrEndpoint(cli.env.get(CredentialConfig.ENV_ACR_ENDPOINT))
                .stsEndpoint(cli.env.get(CredentialConfig.ENV_STS_ENDPOINT))
                .metadataEndpoint(cli.env.get(CredentialConfig.ENV_METADATA_ENDPOINT))
                .environment(cli.env)
                .clock(cli.clock)
                .build();
        RegistryTarget target = RegistryTarget.personal("cn-hangzhou");
        try (providers) {
          RegistryTokenProviders.Applied applied =
              providers.apply(
                  AcrConfiguration.builder()
                      .addRegistry(RegistryEntry.of(target, IdentitySpec.defaultChain()))
                      .build());
          assertThat(applied.problems()).isEmpty();
          RegistryCredential c = providers.fetch(target);
          return Optional.of(c.password());
        } catch (TokenException e) {
          lastError = e.getMessage();
          return Optional.empty();
        }
      }
      default -> throw new IllegalArgumentException(entryPoint);
    }
  }

  String lastError = "";

  Optional<String> failed(Result r) {
    lastError = r.stdout() + r.stderr();
    return Optional.empty();
  }

  IssuedToken lastIssued() {
    List<IssuedToken> issued = cli.cloud.acr().issuedTokens();
    return issued.get(issued.size() - 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"token", "docker-helper", "kubelet-plugin", "sync"})
  void accessKeyVariablesWinOverTheNodeRole(String entryPoint) {
    assertThat(login(entryPoint)).as(lastError).isPresent();

    assertThat(lastIssued().principal()).doesNotContain("role/");
    assertThat(cli.cloud.metadata().totalCalls()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"token", "docker-helper", "kubelet-plugin", "sync"})
  void theChainEndsAtTheNodeRole(String entryPoint) {
    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_ID");
    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");

    assertThat(login(entryPoint)).as(lastError).isPresent();

    assertThat(lastIssued().principal()).isEqualTo(NODE_ROLE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"token", "docker-helper", "kubelet-plugin", "sync"})
  void metadataDisabledIsHonoured(String entryPoint) {
    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_ID");
    cli.env.remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    cli.env.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");

    assertThat(login(entryPoint)).isEmpty();

    assertThat(lastError).contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
    assertThat(cli.cloud.metadata().totalCalls()).isZero();
    assertThat(cli.cloud.acr().issuedTokens()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"token", "docker-helper", "kubelet-plugin"})
  void anExplicitEcsRoleSourceUnderTheOptOutIsRefused(String entryPoint) {
    cli.env.put(CredentialConfig.ENV_SOURCE, "ecs-ram-role");
    cli.env.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");

    Assertions.assertThat(login(entryPoint)).isEmpty();

    assertThat(lastError).contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED=true turns off");
    assertThat(cli.cloud.metadata().totalCalls()).isZero();
  }
}
