package io.acrcredential.k8s.config;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The ConfigMap's key names and size limits, owned here so that the parser's parts and {@link
 * AcrConfigParser} (which re-exports them as API) read them from one place below both.
 */
final class ConfigKeys {

  private ConfigKeys() {}

  static final int MAX_VALUE_CHARS = 1 << 20;
  static final int MAX_REGISTRIES = 100;
  static final String SERVICE_ACCOUNT = "service-account";
  static final String WATCH_NAMESPACE = "watch-namespace";
  static final String EXPIRING_THRESHOLD = "expiring-threshold";
  static final String ACR_API_VERSION = "acr-api-version";
  static final String NOTIFY_EMAIL = "notify-email";
  static final String ACR_REGISTRY_INFO = "acr-registry-info";
  static final String ACR_REGISTRY = "acr-registry";
  static final String RRSA = "rrsa";
  static final String WEBHOOK_CONFIGURATION = "webhook-configuration";
  static final String WATCH_NAMESPACE_SELECTOR = "watch-namespace-selector";
  static final String EXCLUDE_NAMESPACE = "exclude-namespace";
  static final String PATCH_SERVICE_ACCOUNTS = "patch-service-accounts";
  static final String SECRET_LAYOUT = "secret-layout";
  static final String SECRET_NAME = "secret-name";
  static final String TAKE_OVER_ALIBABA_SECRETS = "take-over-alibaba-secrets";

  static final Set<String> KNOWN_KEYS =
      Collections.unmodifiableSet(
          new LinkedHashSet<>(
              List.of(
                  SERVICE_ACCOUNT,
                  WATCH_NAMESPACE,
                  EXPIRING_THRESHOLD,
                  ACR_API_VERSION,
                  NOTIFY_EMAIL,
                  ACR_REGISTRY_INFO,
                  ACR_REGISTRY,
                  RRSA,
                  WEBHOOK_CONFIGURATION,
                  WATCH_NAMESPACE_SELECTOR,
                  EXCLUDE_NAMESPACE,
                  PATCH_SERVICE_ACCOUNTS,
                  SECRET_LAYOUT,
                  SECRET_NAME,
                  TAKE_OVER_ALIBABA_SECRETS)));
}
