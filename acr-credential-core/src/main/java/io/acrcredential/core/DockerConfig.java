package io.acrcredential.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A Docker client configuration: the registry logins of a {@code config.json} file or of a
 * Kubernetes Secret of type {@code kubernetes.io/dockerconfigjson} (key {@code .dockerconfigjson}),
 * with its encoder and a strict decoder.
 *
 * <h2>Encoding</h2>
 *
 * {@link #of(Collection)} builds a configuration from credentials and {@link #toJson()} writes it
 * as
 *
 * <pre>{"auths":{"&lt;host&gt;":{"username":"…","password":"…","auth":"…"}}}</pre>
 *
 * where {@code auth} is the standard Base64 (with padding) of the UTF-8 bytes of {@code
 * username:password}. The bytes are canonical: UTF-8, no whitespace, hosts in ascending order, the
 * three fields always in that order, strings escaped only where JSON requires it ({@code "}, {@code
 * \}, and control characters, written as {@code \b \f \n \r \t} or {@code \}{@code u00xx}). The
 * same logins therefore always give the same bytes, which lets a caller tell "unchanged" by
 * comparing bytes. Hosts are normalised with {@link RegistryHosts#normalize(String)}; a host
 * claimed by two credentials is an error.
 *
 * <h2>Decoding</h2>
 *
 * {@link #decode(byte[])} reads a {@code config.json} / {@code .dockerconfigjson} body and {@link
 * #decodeLegacy(byte[])} the older {@code .dockercfg} body (the bare map of hosts): strict where a
 * mistake would change which login a registry client sends, tolerant where the format has
 * extensions (the rules are on {@link #decode(byte[])}). Errors never contain a value from the
 * input.
 *
 * <p>Instances are immutable and thread-safe. {@link #toString()} shows hosts and user names only.
 */
public final class DockerConfig {

  /** Prefix of the Secret names Alibaba's {@code aliyun-acr-credential-helper} uses. */
  public static final String SECRET_NAME_PREFIX = "acr-credential-";

  private final SortedMap<String, Auth> auths;

  private DockerConfig(SortedMap<String, Auth> auths) {
    this.auths = Collections.unmodifiableSortedMap(auths);
  }

  /**
   * One registry login of a Docker configuration.
   *
   * <p>{@link #toString()} never shows the password.
   *
   * @param username the user name; not empty, without {@code :}
   * @param password the password; not empty, may contain {@code :}
   */
  public record Auth(String username, String password) {

    /**
     * Validates the values.
     *
     * @param username the user name
     * @param password the password
     * @throws IllegalArgumentException when a value is missing, empty, not well-formed Unicode, or
     *     the user name contains {@code :} (the message never contains the password)
     */
    public Auth {
      if (username == null) {
        throw new IllegalArgumentException("the username is missing (null)");
      }
      if (password == null) {
        throw new IllegalArgumentException("the password is missing (null)");
      }
      if (username.isEmpty()) {
        throw new IllegalArgumentException("the username is empty");
      }
      if (password.isEmpty()) {
        throw new IllegalArgumentException("the password is empty");
      }
      if (username.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "the username contains ':', which the auth field cannot carry"
                + " (clients split it at the first ':')");
      }
      if (!isWellFormed(username)) {
        throw new IllegalArgumentException(
            "the username is not well-formed Unicode (it has an unpaired surrogate)");
      }
      if (!isWellFormed(password)) {
        throw new IllegalArgumentException(
            "the password is not well-formed Unicode (it has an unpaired surrogate)");
      }
    }

    /**
     * The {@code auth} field: standard Base64, with padding, of the UTF-8 bytes of {@code
     * username:password}.
     *
     * @return the encoded login; as secret as the password
     */
    public String auth() {
      byte[] plain = (username + ":" + password).getBytes(StandardCharsets.UTF_8);
      try {
        return Base64.getEncoder().encodeToString(plain);
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
    }

    /** Describes the login without its password. */
    @Override
    public String toString() {
      return "Auth[username=" + username + ", password=<redacted>]";
    }
  }

  /**
   * A configuration holding one credential for each of its domains.
   *
   * @param credential the credential
   * @return the configuration
   * @throws IllegalArgumentException when a domain is not a valid registry host, or the user name
   *     cannot be encoded (see {@link Auth})
   */
  public static DockerConfig of(RegistryCredential credential) {
    return of(List.of(Objects.requireNonNull(credential, "credential")));
  }

  /**
   * A configuration holding each credential for each of its domains.
   *
   * <p>Domains are normalised with {@link RegistryHosts#normalize(String)}; a domain listed twice
   * by the same credential is written once.
   *
   * @param credentials the credentials, in any order (the result does not depend on it)
   * @return the configuration
   * @throws IllegalArgumentException when two credentials claim the same domain, a domain is not a
   *     valid registry host, or a user name cannot be encoded; the message names the credential by
   *     position and never contains a password
   */
  public static DockerConfig of(Collection<RegistryCredential> credentials) {
    if (credentials == null) {
      throw new IllegalArgumentException("the list of credentials is missing (null)");
    }
    SortedMap<String, Auth> auths = new TreeMap<>();
    Map<String, Integer> claimedBy = new HashMap<>();
    int index = 0;
    for (RegistryCredential credential : credentials) {
      if (credential == null) {
        throw new IllegalArgumentException("credential #" + index + " is missing (null)");
      }
      Auth auth;
      try {
        auth = new Auth(credential.username(), credential.password());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "credential #" + index + " for " + credential.domains() + ": " + e.getMessage());
      }
      for (String domain : credential.domains()) {
        String host;
        try {
          host = RegistryHosts.normalize(domain);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("credential #" + index + ": " + e.getMessage());
        }
        Integer previous = claimedBy.putIfAbsent(host, index);
        if (previous != null && previous != index) {
          throw new IllegalArgumentException(
              "registry domain '"
                  + host
                  + "' is claimed by credential #"
                  + previous
                  + " and credential #"
                  + index
                  + "; a Docker config holds one login per domain");
        }
        auths.put(host, auth);
      }
      index++;
    }
    return new DockerConfig(auths);
  }

  /**
   * Encodes one credential: shorthand for {@code of(credential).toJson()}.
   *
   * @param credential the credential
   * @return canonical {@code config.json} bytes
   * @throws IllegalArgumentException as {@link #of(RegistryCredential)}
   */
  public static byte[] encode(RegistryCredential credential) {
    return of(credential).toJson();
  }

  /**
   * Encodes several credentials: shorthand for {@code of(credentials).toJson()}.
   *
   * @param credentials the credentials
   * @return canonical {@code config.json} bytes
   * @throws IllegalArgumentException as {@link #of(Collection)}
   */
  public static byte[] encode(Collection<RegistryCredential> credentials) {
    return of(credentials).toJson();
  }

  /**
   * Decodes a {@code config.json} or {@code .dockerconfigjson} body:
   *
   * <ul>
   *   <li>rejected: input that is not UTF-8 or starts with a byte-order mark, that is not JSON,
   *       that has data after the JSON value, duplicate keys in one object, a missing or non-object
   *       {@code auths}, an entry that is not an object, {@code username}/{@code password}/{@code
   *       auth} that are not strings (including {@code null}), an {@code auth} that is not
   *       canonical padded Base64 or does not decode to UTF-8 {@code user:password}, an {@code
   *       auth} that disagrees with {@code username} or {@code password}, and an entry without
   *       {@code auth} that lacks a user name or a password;
   *   <li>accepted: entries with {@code auth} only (split at the first {@code :}, as Docker and the
   *       kubelet do), entries with {@code username} and {@code password} only, and empty strings,
   *       which count as absent (as the kubelet treats them);
   *   <li>ignored: unknown top-level members ({@code credHelpers}, {@code credsStore}, {@code
   *       HttpHeaders}, …) and unknown entry members ({@code email}, {@code identitytoken}, …).
   *       They are dropped, so re-encoding a decoded configuration keeps only the logins. Member
   *       names are matched exactly: {@code Auths} is an unknown member, not {@code auths}.
   * </ul>
   *
   * <p>Registry keys of a decoded configuration are kept as written (they may carry a scheme or
   * path, which the kubelet strips when matching). Errors are {@link IllegalArgumentException}s
   * whose message says what is wrong and where (line and column, or a path such as {@code
   * auths["registry.cn-hangzhou.aliyuncs.com"].auth}); they never contain a password, an {@code
   * auth} value or any other string value from the input, and carry no cause that could.
   *
   * @param json the bytes, UTF-8
   * @return the logins it holds
   * @throws IllegalArgumentException when the input is malformed (see above); the message says what
   *     and where, and contains no value from the input
   */
  public static DockerConfig decode(byte[] json) {
    return new DockerConfig(DockerConfigDecoder.decode(json));
  }

  /**
   * Decodes a legacy {@code .dockercfg} body (Secret type {@code kubernetes.io/dockercfg}): the
   * bare map from registry key to entry, without the {@code auths} wrapper. Entries follow the same
   * rules as in {@link #decode(byte[])}.
   *
   * @param json the bytes, UTF-8
   * @return the logins it holds
   * @throws IllegalArgumentException when the input is malformed; the message says what and where,
   *     and contains no value from the input
   */
  public static DockerConfig decodeLegacy(byte[] json) {
    return new DockerConfig(DockerConfigDecoder.decodeLegacy(json));
  }

  /**
   * The name Alibaba's {@code aliyun-acr-credential-helper} gives the pull Secret of a registry
   * domain: {@code acr-credential-} followed by the lower-case hex MD5 of the domain.
   *
   * <p>The domain is first normalised with {@link RegistryHosts#normalize(String)} (trimmed,
   * lower-cased, validated), because host names are case-insensitive: {@code
   * Registry.CN-Shanghai.aliyuncs.com} and {@code registry.cn-shanghai.aliyuncs.com} are the same
   * registry and get the same Secret, and for the lower-case domains ACR itself reports the name
   * equals the helper's. The result (47 characters) is a valid Kubernetes object name.
   *
   * @param domain a registry host such as {@code registry.cn-shanghai.aliyuncs.com}
   * @return the Secret name, e.g. {@code acr-credential-d8cb8c4195a48ca6dbefe56f6399ef1f}
   * @throws IllegalArgumentException when the domain is not a valid registry host
   */
  public static String secretName(String domain) {
    String host = RegistryHosts.normalize(domain);
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this Java runtime has no MD5 digest", e);
    }
    byte[] digest = md5.digest(host.getBytes(StandardCharsets.US_ASCII));
    StringBuilder name = new StringBuilder(SECRET_NAME_PREFIX);
    for (byte b : digest) {
      name.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return name.toString();
  }

  /**
   * The logins by registry key, iterated in ascending key order.
   *
   * @return an unmodifiable map
   */
  public Map<String, Auth> auths() {
    return auths;
  }

  /**
   * The login for a registry key, matched exactly as written.
   *
   * @param registry the key, e.g. {@code registry.cn-hangzhou.aliyuncs.com}
   * @return the login, or empty when the configuration has none for that key
   */
  public Optional<Auth> auth(String registry) {
    return Optional.ofNullable(auths.get(registry));
  }

  /**
   * Writes the configuration as canonical {@code config.json} bytes (see the class description).
   *
   * @return a new array on every call
   */
  public byte[] toJson() {
    StringBuilder out = new StringBuilder(16 + 160 * auths.size());
    out.append("{\"auths\":{");
    boolean first = true;
    for (Map.Entry<String, Auth> entry : auths.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      Auth auth = entry.getValue();
      writeString(out, entry.getKey());
      out.append(":{\"username\":");
      writeString(out, auth.username());
      out.append(",\"password\":");
      writeString(out, auth.password());
      out.append(",\"auth\":");
      writeString(out, auth.auth());
      out.append('}');
    }
    out.append("}}");
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Equal when both hold the same logins for the same keys. */
  @Override
  public boolean equals(Object other) {
    return other instanceof DockerConfig that && auths.equals(that.auths);
  }

  @Override
  public int hashCode() {
    return auths.hashCode();
  }

  /** Lists registry keys and user names, never passwords. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("DockerConfig[");
    boolean first = true;
    for (Map.Entry<String, Auth> entry : auths.entrySet()) {
      if (!first) {
        out.append(", ");
      }
      first = false;
      out.append(entry.getKey()).append('=').append(entry.getValue().username());
    }
    return out.append(']').toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding helpers

  private static void writeString(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(Character.forDigit(c >> 4, 16));
            out.append(Character.forDigit(c & 0xf, 16));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  static boolean isWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
