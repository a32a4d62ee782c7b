package io.acrcredential.k8s.webhook;

import io.acrcredential.k8s.webhook.WebhookRegistration.Owned;
import io.acrcredential.k8s.webhook.WebhookRegistration.Target;
import io.kubernetes.client.openapi.ApiClient;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Collects what a {@link WebhookRegistration} needs ({@link WebhookRegistration#builder}); not
 * thread-safe.
 */
public final class WebhookRegistrationBuilder {

  final ApiClient api;
  final ApiClient watchClient;
  final Target target;
  Optional<Owned> owned = Optional.empty();
  Consumer<RegistrationProblem> onProblem = p -> WebhookRegistration.LOG.warn("{}", p.message());

  WebhookRegistrationBuilder(ApiClient api, ApiClient watchClient, Target target) {
    this.api = Objects.requireNonNull(api, "api");
    this.watchClient = Objects.requireNonNull(watchClient, "watchClient");
    this.target = Objects.requireNonNull(target, "target");
  }

  /**
   * Keeps the whole object (created, replaced, deleted) instead of two fields of a user's one.
   *
   * @param owned where the API server calls
   * @return this builder
   */
  public WebhookRegistrationBuilder owned(Owned owned) {
    this.owned = Optional.of(Objects.requireNonNull(owned, "owned"));
    return this;
  }

  /**
   * Who hears of problems a person must fix, once per distinct problem (default: a WARN log line of
   * the message). Called from the keeper's threads; must be quick.
   *
   * @param onProblem takes the problem; its kind lets an embedder add its own hint
   * @return this builder
   */
  public WebhookRegistrationBuilder onProblem(Consumer<RegistrationProblem> onProblem) {
    this.onProblem = Objects.requireNonNull(onProblem, "onProblem");
    return this;
  }

  /**
   * A keeper that does nothing until {@link WebhookRegistration#manage} is given settings.
   *
   * @return the keeper
   */
  public WebhookRegistration build() {
    return new WebhookRegistration(this);
  }
}
