package io.acrcredential.examples.util;

import io.acrcredential.core.TokenException;

/** Token failures as the program prints and logs them. */
public final class TokenFailures {

  private TokenFailures() {}

  /** A token failure as one line with its error code, e.g. {@code denied [FORBIDDEN]}. */
  public static String describe(TokenException e) {
    return e.getMessage() + e.errorCode().map(c -> " [" + c + "]").orElse("");
  }
}
