package io.acrcredential.benchmarks;

import io.acrcredential.core.CachingTokenProvider;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.core.acr.AlibabaCredentials;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.IdentitySpec;
import io.acrcredential.k8s.config.LabelSelector;
import io.acrcredential.k8s.config.NamespaceScope;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.ServiceAccountScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The registries, configuration and token providers the cluster benchmarks give their sync. */
final class SyncSetup {

  /** The regions of the benchmarks' three personal-edition registries. */
  static final List<String> REGIONS = List.of("cn-hangzhou", "cn-shanghai", "cn-beijing");

  private SyncSetup() {}

  /** One personal-edition registry per region, on its public domain. */
  static List<RegistryTarget> targets() {
    List<RegistryTarget> targets = new ArrayList<>();
    for (String region : REGIONS) {
      targets.add(RegistryTarget.personal(region).withDomains(List.of(domain(region))));
    }
    return targets;
  }

  static String domain(String region) {
    return "registry." + region + ".aliyuncs.com";
  }

  /**
   * Namespaces matching {@code label}, the named ServiceAccounts, every target with the default
   * identity chain.
   */
  static AcrConfiguration.Builder configuration(
      String label, List<String> serviceAccounts, List<RegistryTarget> targets) {
    AcrConfiguration.Builder config =
        AcrConfiguration.builder()
            .namespaces(NamespaceScope.matching(LabelSelector.parse(label)))
            .serviceAccounts(ServiceAccountScope.named(serviceAccounts));
    for (RegistryTarget t : targets) {
      config.addRegistry(RegistryEntry.of(t, IdentitySpec.defaultChain()));
    }
    return config;
  }

  /** An ACR client with an AccessKey, sent to a fake ACR at {@code endpoint} (host:port). */
  static AcrTokenProvider acrProvider(String accessKeyId, String secret, String endpoint) {
    return AcrTokenProvider.builder()
        .credentials(AlibabaCredentials.accessKey(accessKeyId, secret))
        .endpoint("http://" + endpoint)
        .build();
  }

  /** A token cache that renews {@code renewBefore} the expiry, without jitter. */
  static CachingTokenProvider cache(AcrTokenProvider provider, Duration renewBefore) {
    return CachingTokenProvider.builder(provider)
        .refreshBeforeExpiry(renewBefore)
        .refreshJitter(Duration.ZERO)
        .build();
  }
}
