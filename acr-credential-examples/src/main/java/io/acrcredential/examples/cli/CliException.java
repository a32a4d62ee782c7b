package io.acrcredential.examples.cli;

/**
 * A failure the program reports as one line, without a stack trace: bad arguments or input, a
 * configuration error, a token that could not be had. Messages never contain secrets.
 */
public final class CliException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Exit code for usage errors (unknown option, missing argument). */
  public static final int USAGE = 2;

  /** Exit code for every other failure. */
  public static final int FAILURE = 1;

  private final int exitCode;

  public CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public static CliException usage(String message) {
    return new CliException(USAGE, message, null);
  }

  public static CliException failure(String message) {
    return new CliException(FAILURE, message, null);
  }

  public static CliException failure(String message, Throwable cause) {
    return new CliException(FAILURE, message, cause);
  }

  public int exitCode() {
    return exitCode;
  }
}
