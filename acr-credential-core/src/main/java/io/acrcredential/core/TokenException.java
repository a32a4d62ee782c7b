package io.acrcredential.core;

import java.util.Objects;
import java.util.Optional;

/**
 * Why a {@link TokenProvider} could not produce a credential.
 *
 * <p>The {@link Reason} says what kind of failure it was and whether a retry may help; {@link
 * #errorCode()} carries the service's own code (for example {@code Forbidden.RAM}) when there is
 * one. Messages say what to fix and never contain a password, token or AccessKey secret.
 */
public class TokenException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The kinds of failure, each retryable or not. */
  public enum Reason {
    /** The identity lacks a permission (RAM policy). Not retryable. */
    PERMISSION_DENIED(false),
    /**
     * The credentials are wrong, expired or incomplete (AccessKey, secret, STS token). Not
     * retryable.
     */
    INVALID_CREDENTIALS(false),
    /** The registry, instance or account does not exist or has no registry login. Not retryable. */
    NOT_FOUND(false),
    /** The configuration is wrong (region, instance id, endpoint). Not retryable. */
    INVALID_CONFIGURATION(false),
    /** The service asked us to slow down. Retryable. */
    THROTTLED(true),
    /** The service failed (HTTP 5xx). Retryable. */
    SERVICE_UNAVAILABLE(true),
    /** The network failed or timed out. Retryable. */
    NETWORK(true),
    /** The service answered something that is not a valid response. Retryable. */
    INVALID_RESPONSE(true);

    private final boolean retryable;

    Reason(boolean retryable) {
      this.retryable = retryable;
    }

    /**
     * Whether a later attempt may succeed without anyone changing anything.
     *
     * @return true for transient failures
     */
    public boolean isRetryable() {
      return retryable;
    }
  }

  /** The kind of failure. */
  private final Reason reason;

  /** The service's error code, or null when the failure came with none. */
  private final String errorCode;

  /**
   * Creates the exception.
   *
   * @param reason the kind of failure
   * @param errorCode the service's error code, or null when there is none
   * @param message what went wrong and what to do; must not contain secrets
   * @param cause the underlying exception, or null
   */
  public TokenException(Reason reason, String errorCode, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.errorCode = errorCode;
  }

  /**
   * Creates the exception without a cause.
   *
   * @param reason the kind of failure
   * @param errorCode the service's error code, or null when there is none
   * @param message what went wrong and what to do; must not contain secrets
   */
  public TokenException(Reason reason, String errorCode, String message) {
    this(reason, errorCode, message, null);
  }

  /**
   * The kind of failure.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * The service's error code, such as {@code Forbidden.RAM} or {@code USER_NOT_EXIST}.
   *
   * @return the code, or empty when the failure did not come with one
   */
  public Optional<String> errorCode() {
    return Optional.ofNullable(errorCode);
  }

  /**
   * Whether trying again later may help.
   *
   * @return {@code reason().isRetryable()}
   */
  public boolean isRetryable() {
    return reason.isRetryable();
  }
}
