package io.acrcredential.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.StringJoiner;

/** Sends hand-made or replayed requests to a fake with plain HttpURLConnection. */
final class Raw {
  private Raw() {}

  /**
   * Re-sends a recorded request byte-for-byte equivalent: same method, params and signed headers.
   */
  static Sdk.Answer replay(RecordedRequest recorded, FakeService fake) {
    StringJoiner query = new StringJoiner("&");
    recorded
        .params()
        .forEach(
            (k, v) -> query.add(Signatures.percentEncode(k) + "=" + Signatures.percentEncode(v)));
    String url =
        "http://"
            + fake.endpoint()
            + recorded.path()
            + (recorded.params().isEmpty() ? "" : "?" + query);
    Map<String, String> headers = new java.util.TreeMap<>();
    recorded
        .headers()
        .forEach(
            (k, v) -> {
              if (k.startsWith("x-acs-")
                  || k.equals("authorization")
                  || k.equals("date")
                  || k.equals("accept")
                  || k.equals("content-md5")
                  || k.equals("content-type")) {
                headers.put(k, v);
              }
            });
    return send(recorded.method(), url, headers);
  }

  static Sdk.Answer send(String method, String url, Map<String, String> headers) {
    try {
      HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
      c.setRequestMethod(method);
      headers.forEach(c::setRequestProperty);
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      c.disconnect();
      return new Sdk.Answer(status, body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
