package io.acrcredential.core.acr;

import java.io.IOException;
import java.io.InputStream;
import okhttp3.HttpUrl;
import okhttp3.ResponseBody;

/**
 * Limits on what a peer may answer: bodies are read up to {@link #MAX_BODY} bytes, and a redirect
 * is never followed but described (its target without user info, query or fragment, which may carry
 * secrets).
 */
final class Responses {

  /** The most read of any answer; ACR, STS and metadata answers are a few KiB. */
  static final int MAX_BODY = 1 << 20;

  private Responses() {}

  /** An answer larger than {@link #MAX_BODY}. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException() {
      super("the answer is larger than " + MAX_BODY / 1024 + " KiB");
    }
  }

  /**
   * Reads a body, at most {@link #MAX_BODY} bytes.
   *
   * @throws TooLargeException when there is more
   */
  static byte[] read(ResponseBody body) throws IOException {
    if (body.contentLength() > MAX_BODY) {
      throw new TooLargeException();
    }
    try (InputStream in = body.byteStream()) {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) {
        throw new TooLargeException();
      }
      return bytes;
    }
  }

  /** Whether a status is a redirect. */
  static boolean isRedirect(int status) {
    return status >= 300 && status <= 399;
  }

  /**
   * A redirect in words for an error message: the status and where it pointed, without user info,
   * query or fragment.
   */
  static String describeRedirect(int status, HttpUrl from, String location) {
    HttpUrl to = location == null ? null : from.resolve(location);
    return "answered a redirect (HTTP "
        + status
        + (to == null
            ? ""
            : " to " + to.scheme() + "://" + to.host() + ":" + to.port() + to.encodedPath())
        + "); redirects are never followed, set the endpoint to the final address";
  }
}
