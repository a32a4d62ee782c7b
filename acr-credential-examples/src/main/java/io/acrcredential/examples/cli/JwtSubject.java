package io.acrcredential.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.examples.util.JsonTree;
import io.acrcredential.examples.util.Sha256;
import java.util.Base64;

/**
 * Who a service-account token (a JWT) speaks for, as a cache-key part: its issuer and subject, read
 * without verifying the signature (STS verifies it; the kubelet is the token's source). A token
 * that cannot be read that way is represented by its SHA-256, so it shares a cache entry with
 * nothing else.
 */
final class JwtSubject {

  private JwtSubject() {}

  static String of(String token) {
    String[] parts = token.split("\\.");
    if (parts.length == 3) {
      try {
        JsonNode claims = JsonTree.read(Base64.getUrlDecoder().decode(parts[1]));
        JsonNode iss = claims.get("iss");
        JsonNode sub = claims.get("sub");
        if (iss != null && iss.isTextual() && sub != null && sub.isTextual()) {
          return "jwt|" + iss.asText() + "|" + sub.asText();
        }
      } catch (Exception e) {
        // fall through to the hash
      }
    }
    return "token-sha256|" + sha256(token);
  }

  static String sha256(String text) {
    return Sha256.hex(text);
  }
}
