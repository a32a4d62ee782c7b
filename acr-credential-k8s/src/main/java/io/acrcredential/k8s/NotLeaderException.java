package io.acrcredential.k8s;

/**
 * A write was about to be sent although this instance no longer leads (or is closing): the
 * namespace is left to the new leader. Not a failure; carries no stack trace.
 */
final class NotLeaderException extends Exception {

  private static final long serialVersionUID = 1L;

  NotLeaderException(String reason) {
    super(reason, null, false, false);
  }
}
