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
 */
public record NamespaceSyncResult(
    String namespace,
    boolean inScope,
    List<String> secretsCreated,
    List<String> secretsUpdated,
    List<String> secretsDeleted,
    List<String> serviceAccountsUpdated) {

  /**
   * Copies the lists.
   *
   * @param namespace the namespace
   * @param inScope whether the namespace is in scope
   * @param secretsCreated pull Secrets created
   * @param secretsUpdated pull Secrets rewritten
   * @param secretsDeleted pull Secrets deleted
   * @param serviceAccountsUpdated ServiceAccounts changed
   * @throws NullPointerException naming a missing component
   */
  public NamespaceSyncResult {
    Objects.requireNonNull(namespace, "namespace");
    secretsCreated = List.copyOf(secretsCreated);
    secretsUpdated = List.copyOf(secretsUpdated);
    secretsDeleted = List.copyOf(secretsDeleted);
    serviceAccountsUpdated = List.copyOf(serviceAccountsUpdated);
  }

  /**
   * Whether anything was written.
   *
   * @return true when at least one object was created, updated or deleted
   */
  public boolean wroteAnything() {
    return !secretsCreated.isEmpty()
        || !secretsUpdated.isEmpty()
        || !secretsDeleted.isEmpty()
        || !serviceAccountsUpdated.isEmpty();
  }
}
