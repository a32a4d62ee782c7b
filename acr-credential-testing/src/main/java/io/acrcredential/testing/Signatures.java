package io.acrcredential.testing;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The gateway's signature algorithms (RPC and ROA, HMAC-SHA1), computed from received requests. */
final class Signatures {
  private Signatures() {}

  /**
   * UTF-8 URL encoding with {@code +}→{@code %20}, {@code *}→{@code %2A}, {@code %7E}→{@code ~}.
   */
  static String percentEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8)
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~");
  }

  /** RPC: {@code METHOD&%2F&percentEncode(sorted k=v joined by &)}, without {@code Signature}. */
  static String rpcStringToSign(String method, Map<String, String> params) {
    SortedMap<String, String> sorted = new TreeMap<>(params);
    sorted.remove("Signature");
    StringBuilder canonical = new StringBuilder();
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      if (canonical.length() > 0) {
        canonical.append('&');
      }
      canonical.append(percentEncode(e.getKey())).append('=').append(percentEncode(e.getValue()));
    }
    return method + "&" + percentEncode("/") + "&" + percentEncode(canonical.toString());
  }

  /** RPC signature: Base64(HMAC-SHA1(secret + "&", stringToSign)). */
  static String rpcSignature(String secret, String stringToSign) {
    return hmacSha1(secret + "&", stringToSign);
  }

  /**
   * ROA: {@code METHOD\nAccept\nContent-MD5\nContent-Type\nDate\n} + sorted {@code x-acs-*} headers
   * ({@code name:value\n}) + path and, when there is a query, {@code ?} + sorted raw {@code k=v}.
   *
   * @param headers lower-cased header names to their first value
   */
  static String roaStringToSign(
      String method, Map<String, String> headers, String path, Map<String, String> query) {
    StringBuilder sb = new StringBuilder();
    sb.append(method).append('\n');
    sb.append(headers.getOrDefault("accept", "")).append('\n');
    sb.append(headers.getOrDefault("content-md5", "")).append('\n');
    sb.append(headers.getOrDefault("content-type", "")).append('\n');
    sb.append(headers.getOrDefault("date", "")).append('\n');
    SortedMap<String, String> acs = new TreeMap<>();
    headers.forEach(
        (name, value) -> {
          if (name.startsWith("x-acs-")) {
            acs.put(name, value);
          }
        });
    acs.forEach((name, value) -> sb.append(name).append(':').append(value).append('\n'));
    sb.append(path);
    if (!query.isEmpty()) {
      StringBuilder q = new StringBuilder();
      for (Map.Entry<String, String> e : new TreeMap<>(query).entrySet()) {
        if (q.length() > 0) {
          q.append('&');
        }
        q.append(e.getKey());
        if (e.getValue() != null && !e.getValue().isEmpty()) {
          q.append('=').append(e.getValue());
        }
      }
      sb.append('?').append(q);
    }
    return sb.toString();
  }

  /** ROA signature: Base64(HMAC-SHA1(secret, stringToSign)). */
  static String roaSignature(String secret, String stringToSign) {
    return hmacSha1(secret, stringToSign);
  }

  /** Constant-time comparison of two signatures. */
  static boolean matches(String expected, String given) {
    if (given == null) {
      return false;
    }
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  static String hmacSha1(String key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is not available in this JVM", e);
    }
  }

  /** First value of each entry. */
  static Map<String, String> firstValues(Map<String, List<String>> multi) {
    Map<String, String> single = new TreeMap<>();
    multi.forEach((k, v) -> single.put(k, v.isEmpty() ? "" : v.get(0)));
    return single;
  }
}
