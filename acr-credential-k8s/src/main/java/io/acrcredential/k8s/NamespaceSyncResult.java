package io.acrcredential.k8s;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one successful reconciliation of a namespace.
 *
 * @param namespace the namespace
 * @param inScope whether the namespace is in scope (false: only clean-up was done)
 * @param secretsCreated pull Secrets created
 * @param secretsUpdated pull Secrets rewritten because their content or markers differed
 * @param secretsDeleted pull Secrets of this sync deleted (left scope, wrong type, stale)
 * @param serviceAccountsUpdated ServiceAccounts whose {@code imagePullSecrets} were changed
 * @param secretsTakenOver Secrets Alibaba's helper wrote that this sync took over (and rewrote)
 * @param clashes pull Secret names held by a Secret this sync does not own and did not take over:
 *     the namespace has no pull Secret of this sync under those names
 */
public record NamespaceSyncResult(
    String namespace,
    boolean inScope,
    List<String> secretsCreated,
    List<String> secretsUpdated,
    List<String> secretsDeleted,
    List<String> serviceAccountsUpdated,
    List<String> secretsTakenOver,
    List<SecretClash> clashes) {

  /**
   * Copies the lists.
   *
   * @param namespace the namespace
   * @param inScope whether the namespace is in scope
   * @param secretsCreated pull Secrets created
   * @param secretsUpdated pull Secrets rewritten
   * @param secretsDeleted pull Secrets deleted
   * @param serviceAccountsUpdated ServiceAccounts changed
   * @param secretsTakenOver Secrets of Alibaba's helper taken over
   * @param clashes names held by someone else
   * @throws NullPointerException naming a missing component
   */
  public NamespaceSyncResult {
    Objects.requireNonNull(namespace, "namespace");
    secretsCreated = List.copyOf(secretsCreated);
    secretsUpdated = List.copyOf(secretsUpdated);
    secretsDeleted = List.copyOf(secretsDeleted);
    serviceAccountsUpdated = List.copyOf(serviceAccountsUpdated);
    secretsTakenOver = List.copyOf(secretsTakenOver);
    clashes = List.copyOf(clashes);
  }

  /**
   * A result without take-overs or clashes.
   *
   * @param namespace the namespace
   * @param inScope whether the namespace is in scope
   * @param secretsCreated pull Secrets created
   * @param secretsUpdated pull Secrets rewritten
   * @param secretsDeleted pull Secrets deleted
   * @param serviceAccountsUpdated ServiceAccounts changed
   */
  public NamespaceSyncResult(
      String namespace,
      boolean inScope,
      List<String> secretsCreated,
      List<String> secretsUpdated,
      List<String> secretsDeleted,
      List<String> serviceAccountsUpdated) {
    this(
        namespace,
        inScope,
        secretsCreated,
        secretsUpdated,
        secretsDeleted,
        serviceAccountsUpdated,
        List.of(),
        List.of());
  }

  /**
   * Whether anything was written.
   *
   * @return true when at least one object was created, updated, taken over or deleted
   */
  public boolean wroteAnything() {
    return !secretsCreated.isEmpty()
        || !secretsUpdated.isEmpty()
        || !secretsDeleted.isEmpty()
        || !serviceAccountsUpdated.isEmpty()
        || !secretsTakenOver.isEmpty();
  }
}
