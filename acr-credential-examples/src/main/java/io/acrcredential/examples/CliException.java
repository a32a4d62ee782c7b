package io.acrcredential.examples;

/**
 * A failure the program reports as one line, without a stack trace: bad arguments or input, a
 * configuration error, a token that could not be had. Messages never contain secrets.
 */
final class CliException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Exit code for usage errors (unknown option, missing argument). */
  static final int USAGE = 2;

  /** Exit code for every other failure. */
  static final int FAILURE = 1;

  private final int exitCode;

  CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  static CliException usage(String message) {
    return new CliException(USAGE, message, null);
  }

  static CliException failure(String message) {
    return new CliException(FAILURE, message, null);
  }

  static CliException failure(String message, Throwable cause) {
    return new CliException(FAILURE, message, cause);
  }

  int exitCode() {
    return exitCode;
  }
}
