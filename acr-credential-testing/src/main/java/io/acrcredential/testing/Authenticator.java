package io.acrcredential.testing;

import io.acrcredential.testing.FakeIdentities.Principal;
import io.acrcredential.testing.ServerCore.Request;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Verifies RPC and ROA signatures, timestamps, nonces and STS tokens the way the gateway does. */
final class Authenticator {
  private final FakeIdentities identities;
  private final Clock clock;
  private volatile Duration maxSkew = Duration.ofMinutes(15);
  private final Map<String, Instant> seenNonces = new ConcurrentHashMap<>();

  Authenticator(FakeIdentities identities, Clock clock) {
    this.identities = identities;
    this.clock = clock;
  }

  void setMaxSkew(Duration skew) {
    if (skew == null || skew.isNegative() || skew.isZero()) {
      throw new IllegalArgumentException("max clock skew must be positive, got " + skew);
    }
    this.maxSkew = skew;
  }

  /** Checks an RPC request; returns the caller. */
  Principal verifyRpc(Request request) {
    Map<String, String> p = request.params();
    for (String name :
        new String[] {
          "AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "Timestamp"
        }) {
      if (isBlank(p.get(name))) {
        throw PopException.missing(name);
      }
    }
    Instant timestamp;
    try {
      timestamp = Instant.parse(p.get("Timestamp"));
    } catch (DateTimeParseException e) {
      throw PopException.of(
          "InvalidTimeStamp.Format",
          "Specified time stamp or date value is not well formatted: Timestamp must be"
              + " yyyy-MM-dd'T'HH:mm:ss'Z' in UTC.");
    }
    checkSkew(timestamp);
    if (!"HMAC-SHA1".equals(p.get("SignatureMethod"))) {
      throw PopException.of(
          "InvalidSignatureMethod",
          "Specified signature method is not supported: only HMAC-SHA1 is accepted.");
    }
    if (p.containsKey("SignatureVersion") && !"1.0".equals(p.get("SignatureVersion"))) {
      throw PopException.of(
          "IncompleteSignature", "Specified signature version is not supported: use 1.0.");
    }
    Principal principal = identities.lookup(p.get("AccessKeyId"));
    if (principal == null) {
      throw PopException.of("InvalidAccessKeyId.NotFound");
    }
    String expected =
        Signatures.rpcSignature(
            principal.secret(), Signatures.rpcStringToSign(request.method(), p));
    if (!Signatures.matches(expected, p.get("Signature"))) {
      throw PopException.of("SignatureDoesNotMatch");
    }
    checkSessionToken(principal, p.get("SecurityToken"));
    checkNonce(principal, p.get("SignatureNonce"));
    return principal;
  }

  /** Checks a ROA request; returns the caller. */
  Principal verifyRoa(Request request) {
    String authorization = request.header("authorization");
    if (isBlank(authorization)
        || !authorization.startsWith("acs ")
        || authorization.indexOf(':') < 0) {
      throw PopException.of(
          "IncompleteSignature",
          "The request signature does not conform to Aliyun standards: expected header"
              + " 'Authorization: acs <AccessKeyId>:<signature>'.");
    }
    String credentials = authorization.substring(4);
    int colon = credentials.lastIndexOf(':');
    String accessKeyId = credentials.substring(0, colon);
    String signature = credentials.substring(colon + 1);
    String date = request.header("date");
    if (isBlank(date)) {
      throw PopException.missing("Date");
    }
    Instant timestamp;
    try {
      timestamp = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw PopException.of(
          "InvalidTimeStamp.Format",
          "Specified time stamp or date value is not well formatted: Date must be RFC 1123.");
    }
    checkSkew(timestamp);
    String method = request.header("x-acs-signature-method");
    if (method != null && !"HMAC-SHA1".equals(method)) {
      throw PopException.of(
          "InvalidSignatureMethod",
          "Specified signature method is not supported: only HMAC-SHA1 is accepted.");
    }
    Principal principal = identities.lookup(accessKeyId);
    if (principal == null) {
      throw PopException.of("InvalidAccessKeyId.NotFound");
    }
    String expected =
        Signatures.roaSignature(
            principal.secret(),
            Signatures.roaStringToSign(
                request.method(), request.headers(), request.path(), request.query()));
    if (!Signatures.matches(expected, signature)) {
      throw PopException.of("SignatureDoesNotMatch");
    }
    checkSessionToken(principal, request.header("x-acs-security-token"));
    String nonce = request.header("x-acs-signature-nonce");
    if (nonce != null) {
      checkNonce(principal, nonce);
    }
    return principal;
  }

  private void checkSkew(Instant timestamp) {
    Instant now = clock.instant();
    Duration skew = maxSkew;
    if (timestamp.isBefore(now.minus(skew)) || timestamp.isAfter(now.plus(skew))) {
      throw PopException.of(
          "InvalidTimeStamp.Expired",
          "Specified time stamp or date value is expired: the request time "
              + timestamp
              + " is more than "
              + skew.toMinutes()
              + " minutes away from the server time "
              + now
              + ".");
    }
  }

  private void checkSessionToken(Principal principal, String token) {
    if (!principal.isSession()) {
      return;
    }
    if (isBlank(token)) {
      throw PopException.of("MissingSecurityToken");
    }
    if (!Signatures.matches(principal.securityToken(), token)) {
      throw PopException.of("InvalidSecurityToken.MismatchWithAccessKey");
    }
    if (!clock.instant().isBefore(principal.expiration())) {
      throw PopException.of("InvalidSecurityToken.Expired");
    }
  }

  private void checkNonce(Principal principal, String nonce) {
    Instant now = clock.instant();
    Instant horizon = now.minus(maxSkew.multipliedBy(2));
    for (Iterator<Instant> it = seenNonces.values().iterator(); it.hasNext(); ) {
      if (it.next().isBefore(horizon)) {
        it.remove();
      }
    }
    if (seenNonces.putIfAbsent(principal.accessKeyId() + "\n" + nonce, now) != null) {
      throw PopException.of("SignatureNonceUsed");
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
