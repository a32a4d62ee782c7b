package io.acrcredential.testing;

/** A rejection the fake answers with an error body; never carries secrets in its message. */
final class PopException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  PopException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static PopException of(String code) {
    ErrorCatalog.Entry entry = ErrorCatalog.require(code);
    return new PopException(entry.status(), code, entry.message());
  }

  static PopException of(String code, String message) {
    ErrorCatalog.Entry entry = ErrorCatalog.require(code);
    return new PopException(entry.status(), code, message);
  }

  static PopException missing(String param) {
    return new PopException(400, "Missing" + param, param + " is mandatory for this action.");
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }
}
