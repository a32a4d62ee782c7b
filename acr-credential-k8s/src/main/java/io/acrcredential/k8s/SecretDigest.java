package io.acrcredential.k8s;

import io.kubernetes.client.openapi.models.V1Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the Secret informers keep of a pull Secret's data: a salted SHA-256 digest in place of the
 * bytes, so that the cache never holds a registry token (only the credential snapshot holds the
 * current one per registry).
 *
 * <p>A trimmed Secret ({@link #trim}) carries its digest as its only data entry, under {@link
 * #DIGEST_KEY}; everything else it had (metadata without {@code managedFields}, type, immutability)
 * stays, so a conditional update built from it keeps what others put there. {@link #holds} answers
 * "does this Secret already hold this desired content" for a trimmed Secret and for one read from
 * the API server alike.
 *
 * <p>The salt is random per process: a digest in a heap dump cannot be checked against a guessed
 * token offline, and is never written anywhere.
 */
final class SecretDigest {

  /**
   * The data key under which a trimmed Secret carries its digest. The API server accepts only
   * {@code [-._a-zA-Z0-9]} in Secret data keys, so no real Secret has it and a write body that kept
   * it by mistake would be refused rather than stored.
   */
  static final String DIGEST_KEY = "acr-credential.io/data-sha256";

  private static final byte[] SALT = new byte[32];

  static {
    new SecureRandom().nextBytes(SALT);
  }

  private SecretDigest() {}

  /**
   * The Secret as the informer cache keeps it: {@code managedFields} dropped, its data replaced by
   * the digest of the whole data map (an emptied Secret has a digest too, that of no entries).
   * Changes and returns {@code secret}, which the informer has just decoded and nobody else holds.
   */
  static V1Secret trim(V1Secret secret) {
    if (isTrimmed(secret)) {
      return secret;
    }
    byte[] digest = digest(secret.getData());
    secret.setData(Map.of(DIGEST_KEY, digest));
    secret.setStringData(null);
    secret.setType(CacheTrim.intern(secret.getType()));
    secret.setApiVersion(CacheTrim.intern(secret.getApiVersion()));
    secret.setKind(CacheTrim.intern(secret.getKind()));
    CacheTrim.trimMetadata(secret.getMetadata());
    return secret;
  }

  /**
   * Whether {@code secret} (trimmed by the cache, or as read from the API server) holds exactly the
   * desired data: one entry {@code .dockerconfigjson} with the desired bytes. Type, immutability,
   * labels and annotations are not looked at.
   */
  static boolean holds(V1Secret secret, DesiredSecret desired) {
    if (secret == null) {
      return false;
    }
    byte[] wanted = digest(Map.of(NamespaceReconciler.DATA_KEY, desired.dockerConfigJson()));
    byte[] have = isTrimmed(secret) ? secret.getData().get(DIGEST_KEY) : digest(secret.getData());
    return MessageDigest.isEqual(wanted, have);
  }

  /** Whether {@code secret} carries a digest in place of its data. */
  static boolean isTrimmed(V1Secret secret) {
    Map<String, byte[]> data = secret.getData();
    return data != null && data.size() == 1 && data.containsKey(DIGEST_KEY);
  }

  /** Salted SHA-256 over the data map in key order, each key and value with its length. */
  private static byte[] digest(Map<String, byte[]> data) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
    md.update(SALT);
    if (data != null) {
      for (Map.Entry<String, byte[]> e : new TreeMap<>(data).entrySet()) {
        byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
        byte[] value = e.getValue() == null ? new byte[0] : e.getValue();
        lengthOf(md, key.length);
        md.update(key);
        lengthOf(md, value.length);
        md.update(value);
      }
    }
    return md.digest();
  }

  private static void lengthOf(MessageDigest md, int n) {
    md.update((byte) (n >>> 24));
    md.update((byte) (n >>> 16));
    md.update((byte) (n >>> 8));
    md.update((byte) n);
  }
}
