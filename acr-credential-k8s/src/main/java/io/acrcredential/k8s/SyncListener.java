package io.acrcredential.k8s;

/**
 * Learns what a {@link PullSecretSync} does. Every method does nothing by default; override what
 * you need.
 *
 * <p>Methods are called from the sync's worker threads, possibly concurrently for different
 * namespaces; keep them short. An exception thrown by a listener is logged and otherwise ignored.
 */
public interface SyncListener {

  /**
   * A namespace was reconciled successfully (also when nothing had to be written).
   *
   * @param result what was written or deleted
   */
  default void namespaceSynced(NamespaceSyncResult result) {}

  /**
   * A Secret with the name a pull Secret needs exists but is not managed by this sync; it is left
   * untouched and not added to any ServiceAccount. Reported once per version of that Secret.
   *
   * @param clash where and which name
   */
  default void secretClash(SecretClash clash) {}

  /**
   * Reconciling a namespace failed; it is retried with backoff, without blocking other namespaces.
   *
   * @param failure where, why, and which attempt
   */
  default void syncFailed(SyncFailure failure) {}

  /**
   * This instance became leader (and starts writing) or stopped being leader. Without leader
   * election, called once with {@code true} on start. With it, {@code false} comes as soon as a
   * read of the Lease shows another holder (writes stop then), not only when the elector gives up
   * renewing; {@code true} comes again when this instance holds the Lease once more. A lapse past
   * the renew deadline also stops writes but is not reported here; {@link
   * PullSecretSync#isLeader()} shows it.
   *
   * @param leader whether this instance now leads
   */
  default void leadershipChanged(boolean leader) {}
}
