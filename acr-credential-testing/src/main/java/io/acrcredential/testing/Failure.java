package io.acrcredential.testing;

import java.time.Duration;
import java.util.Objects;

/**
 * A failure a fake can be told to produce instead of (or on top of) its normal answer; see {@link
 * FakeService#failNext(FakeApi, int, Failure)}. Immutable; create with the static factories.
 *
 * <p>Error failures render in the shape the real service uses for the operation: the POP gateway
 * JSON {@code {RequestId, HostId, Code, Message, Recommend}} for most codes, and the Personal
 * Edition lower-case shape {@code {code, message, requestId}} for {@code USER_NOT_EXIST}.
 */
public final class Failure {
  enum Kind {
    ERROR,
    RAW,
    DELAY,
    DISCONNECT,
    MISSING_FIELD,
    WRONG_TYPE,
    NOT_SUCCESS
  }

  private final Kind kind;
  private final int status;
  private final String code;
  private final String message;
  private final String contentType;
  private final String body;
  private final Duration delay;
  private final String field;

  private Failure(
      Kind kind,
      int status,
      String code,
      String message,
      String contentType,
      String body,
      Duration delay,
      String field) {
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.message = message;
    this.contentType = contentType;
    this.body = body;
    this.delay = delay;
    this.field = field;
  }

  /**
   * An error with a known code and its real HTTP status and message, e.g. {@code Forbidden.RAM}
   * (403), {@code USER_NOT_EXIST} (404), {@code InvalidAccessKeyId.NotFound} (404), {@code
   * SignatureDoesNotMatch} (400), {@code InvalidSecurityToken.Expired}, {@code
   * MissingSecurityToken}, {@code Throttling.User}, {@code InternalError} (500), {@code
   * ServiceUnavailable} (503).
   *
   * @param code the error code
   * @return the failure
   * @throws IllegalArgumentException if the code is unknown; the message lists the known codes
   */
  public static Failure error(String code) {
    Objects.requireNonNull(code, "code");
    ErrorCatalog.Entry entry = ErrorCatalog.require(code);
    return new Failure(Kind.ERROR, entry.status(), code, entry.message(), null, null, null, null);
  }

  /**
   * An error with any status, code and message, rendered in the operation's error shape.
   *
   * @param status the HTTP status, 400..599
   * @param code the error code
   * @param message the error message
   * @return the failure
   */
  public static Failure error(int status, String code, String message) {
    checkStatus(status, 400);
    return new Failure(
        Kind.ERROR,
        status,
        Objects.requireNonNull(code, "code"),
        Objects.requireNonNull(message, "message"),
        null,
        null,
        null,
        null);
  }

  /**
   * A server error with the gateway's JSON body: 500 answers {@code InternalError}, 503 {@code
   * ServiceUnavailable}, any other 5xx a code {@code HTTP<status>}.
   *
   * @param status the HTTP status, 500..599
   * @return the failure
   */
  public static Failure serverError(int status) {
    checkStatus(status, 500);
    if (status == 500) {
      return error("InternalError");
    }
    if (status == 503) {
      return error("ServiceUnavailable");
    }
    return error(status, "HTTP" + status, "The server failed with HTTP status " + status + ".");
  }

  /**
   * Throttling as the gateway reports it: {@code Throttling.User}, HTTP 400.
   *
   * @return the failure
   */
  public static Failure throttling() {
    return error("Throttling.User");
  }

  /**
   * Waits this long (real time, not the fake clock) before answering normally. Use it to test
   * client timeouts.
   *
   * @param delay how long to wait
   * @return the failure
   */
  public static Failure delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, got " + delay);
    }
    return new Failure(Kind.DELAY, 0, null, null, null, null, delay, null);
  }

  /**
   * An HTML error page (as a load balancer or proxy would send) with the given status.
   *
   * @param status the HTTP status
   * @return the failure
   */
  public static Failure htmlPage(int status) {
    checkStatus(status, 200);
    return raw(
        status,
        "text/html",
        "<html><head><title>"
            + status
            + " Error</title></head><body><center><h1>"
            + status
            + " Error</h1></center><hr><center>Tengine</center></body></html>");
  }

  /**
   * An empty body with the given status and a JSON content type.
   *
   * @param status the HTTP status
   * @return the failure
   */
  public static Failure emptyBody(int status) {
    checkStatus(status, 200);
    return raw(status, "application/json;charset=utf-8", "");
  }

  /**
   * Any body with the given status and content type.
   *
   * @param status the HTTP status
   * @param contentType the Content-Type header
   * @param body the body text (UTF-8)
   * @return the failure
   */
  public static Failure raw(int status, String contentType, String body) {
    checkStatus(status, 100);
    return new Failure(
        Kind.RAW,
        status,
        null,
        null,
        Objects.requireNonNull(contentType, "contentType"),
        Objects.requireNonNull(body, "body"),
        null,
        null);
  }

  /**
   * Closes the connection without answering (the client sees an I/O error).
   *
   * @return the failure
   */
  public static Failure disconnect() {
    return new Failure(Kind.DISCONNECT, 0, null, null, null, null, null, null);
  }

  /**
   * Answers normally (HTTP 200) but with one field of the success body removed. The field is a
   * dot-separated path into the JSON body, e.g. {@code AuthorizationToken}, {@code
   * data.authorizationToken} or {@code Credentials.SecurityToken}. If the request fails on its own,
   * its error is returned unchanged.
   *
   * @param field the dot-separated path of the field to remove
   * @return the failure
   */
  public static Failure missingField(String field) {
    return new Failure(Kind.MISSING_FIELD, 200, null, null, null, null, null, checkField(field));
  }

  /**
   * Answers normally (HTTP 200) but with one field of the success body given a value of the wrong
   * JSON type: a string becomes a number, a number or boolean becomes a non-numeric string, an
   * object or array becomes a string. Path syntax as in {@link #missingField(String)}.
   *
   * @param field the dot-separated path of the field to change
   * @return the failure
   */
  public static Failure wrongType(String field) {
    return new Failure(Kind.WRONG_TYPE, 200, null, null, null, null, null, checkField(field));
  }

  /**
   * HTTP 200 with a body saying the call did not succeed: for the Enterprise Edition operations
   * {@code {"RequestId", "IsSuccess": false, "Code": code}}; for Personal Edition {@code {"code",
   * "message", "requestId"}} without {@code data}; for STS and metadata {@code {"RequestId",
   * "Code": code, "Message"}}.
   *
   * @param code the business code to report, e.g. {@code INSTANCE_NOT_EXIST}
   * @return the failure
   */
  public static Failure notSuccess(String code) {
    return new Failure(
        Kind.NOT_SUCCESS,
        200,
        Objects.requireNonNull(code, "code"),
        "The operation did not succeed: " + code,
        null,
        null,
        null,
        null);
  }

  private static void checkStatus(int status, int min) {
    if (status < min || status > 599) {
      throw new IllegalArgumentException(
          "HTTP status must be between " + min + " and 599, got " + status);
    }
  }

  private static String checkField(String field) {
    Objects.requireNonNull(field, "field");
    if (field.isBlank() || field.startsWith(".") || field.endsWith(".")) {
      throw new IllegalArgumentException(
          "field must be a dot-separated JSON path such as 'data.authorizationToken', got '"
              + field
              + "'");
    }
    return field;
  }

  Kind kind() {
    return kind;
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  String message() {
    return message;
  }

  String contentType() {
    return contentType;
  }

  String body() {
    return body;
  }

  Duration delay() {
    return delay;
  }

  String field() {
    return field;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case ERROR -> "Failure[error " + status + " " + code + "]";
      case RAW -> "Failure[raw " + status + " " + contentType + ", " + body.length() + " chars]";
      case DELAY -> "Failure[delay " + delay + "]";
      case DISCONNECT -> "Failure[disconnect]";
      case MISSING_FIELD -> "Failure[missing field " + field + "]";
      case WRONG_TYPE -> "Failure[wrong type of " + field + "]";
      case NOT_SUCCESS -> "Failure[200 not success " + code + "]";
    };
  }
}
