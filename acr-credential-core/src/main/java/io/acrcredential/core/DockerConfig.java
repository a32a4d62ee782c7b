package io.acrcredential.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
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
 * #decodeLegacy(byte[])} the older {@code .dockercfg} body (the bare map of hosts). The decoder is
 * strict where a mistake would change which login a registry client sends, and tolerant where the
 * format has extensions:
 *
 * <ul>
 *   <li>rejected: input that is not UTF-8 or starts with a byte-order mark, that is not JSON, that
 *       has data after the JSON value, duplicate keys in one object, a missing or non-object {@code
 *       auths}, an entry that is not an object, {@code username}/{@code password}/{@code auth} that
 *       are not strings (including {@code null}), an {@code auth} that is not canonical padded
 *       Base64 or does not decode to UTF-8 {@code user:password}, an {@code auth} that disagrees
 *       with {@code username} or {@code password}, and an entry without {@code auth} that lacks a
 *       user name or a password;
 *   <li>accepted: entries with {@code auth} only (split at the first {@code :}, as Docker and the
 *       kubelet do), entries with {@code username} and {@code password} only, and empty strings,
 *       which count as absent (as the kubelet treats them);
 *   <li>ignored: unknown top-level members ({@code credHelpers}, {@code credsStore}, {@code
 *       HttpHeaders}, …) and unknown entry members ({@code email}, {@code identitytoken}, …). They
 *       are dropped, so re-encoding a decoded configuration keeps only the logins. Member names are
 *       matched exactly: {@code Auths} is an unknown member, not {@code auths}.
 * </ul>
 *
 * Registry keys of a decoded configuration are kept as written (they may carry a scheme or path,
 * which the kubelet strips when matching). Errors are {@link IllegalArgumentException}s whose
 * message says what is wrong and where (line and column, or a path such as {@code
 * auths["registry.cn-hangzhou.aliyuncs.com"].auth}); they never contain a password, an {@code auth}
 * value or any other string value from the input, and carry no cause that could.
 *
 * <p>Instances are immutable and thread-safe. {@link #toString()} shows hosts and user names only.
 */
public final class DockerConfig {

  /** Prefix of the Secret names Alibaba's {@code aliyun-acr-credential-helper} uses. */
  public static final String SECRET_NAME_PREFIX = "acr-credential-";

  private static final JsonMapper STRICT =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final byte[] UTF8_BOM = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};

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
   * Decodes a {@code config.json} or {@code .dockerconfigjson} body.
   *
   * @param json the bytes, UTF-8
   * @return the logins it holds
   * @throws IllegalArgumentException when the input is malformed (see the class description); the
   *     message says what and where, and contains no value from the input
   */
  public static DockerConfig decode(byte[] json) {
    JsonNode root = parse(json);
    if (!root.isObject()) {
      throw new IllegalArgumentException(
          "Docker config: the top level must be an object with an \"auths\" member, found "
              + kind(root));
    }
    JsonNode auths = root.get("auths");
    if (auths == null) {
      throw new IllegalArgumentException(
          "Docker config: the top-level \"auths\" object is missing"
              + (looksLegacy(root) ? " (this looks like a legacy .dockercfg body)" : ""));
    }
    if (!auths.isObject()) {
      throw new IllegalArgumentException(
          "Docker config: \"auths\" must be an object, found " + kind(auths));
    }
    return fromEntries(auths, "auths");
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
    JsonNode root = parse(json);
    if (!root.isObject()) {
      throw new IllegalArgumentException(
          "Docker config: a .dockercfg body must be an object mapping registries to logins, found "
              + kind(root));
    }
    JsonNode auths = root.get("auths");
    if (auths != null && auths.isObject() && !hasLoginMembers(auths)) {
      throw new IllegalArgumentException(
          "Docker config: this looks like a config.json body (it has an \"auths\" object);"
              + " decode it as .dockerconfigjson, not .dockercfg");
    }
    return fromEntries(root, "");
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
  // Decoding

  private static DockerConfig fromEntries(JsonNode map, String where) {
    SortedMap<String, Auth> auths = new TreeMap<>();
    for (Map.Entry<String, JsonNode> field : map.properties()) {
      String key = field.getKey();
      String path = where + "[" + RegistryHosts.quote(key, '"') + "]";
      if (key.isEmpty()) {
        throw fail(path, "the registry key is empty");
      }
      if (!isWellFormed(key)) {
        throw fail(path, "the registry key is not well-formed Unicode");
      }
      JsonNode entry = field.getValue();
      if (!entry.isObject()) {
        throw fail(path, "an entry must be an object, found " + kind(entry));
      }
      String username = optionalString(entry, "username", path);
      String password = optionalString(entry, "password", path);
      String auth = optionalString(entry, "auth", path);
      String user;
      String pass;
      if (auth != null) {
        String login = decodeAuth(auth, path);
        int colon = login.indexOf(':');
        user = login.substring(0, colon);
        pass = login.substring(colon + 1);
        if (username != null && !username.equals(user)) {
          throw fail(path, "\"username\" does not match the user name in \"auth\"");
        }
        if (password != null && !password.equals(pass)) {
          throw fail(path, "\"password\" does not match the password in \"auth\"");
        }
      } else {
        if (username == null && password == null) {
          throw fail(
              path, "the entry has no login: give \"auth\" or \"username\" and \"password\"");
        }
        if (username == null) {
          throw fail(path, "the entry has a \"password\" but no \"username\" (and no \"auth\")");
        }
        if (password == null) {
          throw fail(path, "the entry has a \"username\" but no \"password\" (and no \"auth\")");
        }
        user = username;
        pass = password;
      }
      try {
        auths.put(key, new Auth(user, pass));
      } catch (IllegalArgumentException e) {
        throw fail(path, e.getMessage());
      }
    }
    return new DockerConfig(auths);
  }

  /** A string member, or null when it is absent or empty. */
  private static String optionalString(JsonNode entry, String name, String path) {
    JsonNode value = entry.get(name);
    if (value == null) {
      return null;
    }
    if (!value.isTextual()) {
      throw fail(path + "." + name, "must be a string, found " + kind(value));
    }
    String text = value.textValue();
    return text.isEmpty() ? null : text;
  }

  private static String decodeAuth(String auth, String path) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(auth);
    } catch (IllegalArgumentException e) {
      throw fail(path + ".auth", "is not valid Base64 (standard alphabet, '=' padding)");
    }
    // Java's decoder accepts missing padding and non-zero trailing bits; a canonical value
    // re-encodes to itself.
    if (!Base64.getEncoder().encodeToString(bytes).equals(auth)) {
      throw fail(path + ".auth", "is not canonical Base64 (standard alphabet, '=' padding)");
    }
    String login = strictUtf8(bytes);
    Arrays.fill(bytes, (byte) 0);
    if (login == null) {
      throw fail(path + ".auth", "does not decode to UTF-8 text");
    }
    if (login.indexOf(':') < 0) {
      throw fail(path + ".auth", "does not decode to user:password (there is no ':')");
    }
    return login;
  }

  private static JsonNode parse(byte[] json) {
    if (json == null) {
      throw new IllegalArgumentException("Docker config: the input is missing (null)");
    }
    if (json.length == 0) {
      throw new IllegalArgumentException("Docker config: the input is empty");
    }
    if (json.length >= 3
        && json[0] == UTF8_BOM[0]
        && json[1] == UTF8_BOM[1]
        && json[2] == UTF8_BOM[2]) {
      throw new IllegalArgumentException(
          "Docker config: the input starts with a UTF-8 byte-order mark; remove it");
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(json);
    CharBuffer chars = CharBuffer.allocate(json.length);
    CoderResult result = decoder.decode(in, chars, true);
    if (result.isError()) {
      throw new IllegalArgumentException(
          "Docker config: the input is not valid UTF-8 at byte offset " + in.position());
    }
    decoder.flush(chars);
    String text = chars.flip().toString();
    try (JsonParser parser = STRICT.createParser(text)) {
      JsonNode root = STRICT.readTree(parser);
      if (root == null || root.isMissingNode()) {
        throw new IllegalArgumentException("Docker config: the input holds no JSON value");
      }
      JsonToken trailing;
      try {
        trailing = parser.nextToken();
      } catch (JsonProcessingException e) {
        trailing = JsonToken.NOT_AVAILABLE;
      }
      if (trailing != null) {
        throw new IllegalArgumentException(
            "Docker config: unexpected data after the JSON value" + at(parser.currentLocation()));
      }
      return root;
    } catch (JsonProcessingException e) {
      // Jackson's own message may quote the offending input, which can be a secret: only its
      // kind and location are reported, and it is not attached as the cause.
      String what;
      if (e instanceof StreamConstraintsException) {
        what = "the input exceeds a size or nesting limit";
      } else if (e instanceof JsonEOFException) {
        what = "the input ends inside a JSON value";
      } else if (String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field")) {
        what = "a key appears twice in the same object";
      } else {
        what = "the input is not valid JSON";
      }
      throw new IllegalArgumentException("Docker config: " + what + at(e.getLocation()));
    } catch (IOException e) {
      throw new IllegalArgumentException("Docker config: the input could not be read");
    }
  }

  private static String at(JsonLocation location) {
    if (location == null || location.getLineNr() < 0) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static boolean looksLegacy(JsonNode root) {
    for (Map.Entry<String, JsonNode> member : root.properties()) {
      JsonNode value = member.getValue();
      if (value.isObject() && hasLoginMembers(value)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasLoginMembers(JsonNode node) {
    return node.has("auth") || node.has("username") || node.has("password");
  }

  private static IllegalArgumentException fail(String path, String problem) {
    String where = path.isEmpty() ? "" : path + ": ";
    return new IllegalArgumentException("Docker config: " + where + problem);
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case NUMBER -> "a number";
      case OBJECT -> "an object";
      case STRING -> "a string";
      default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " value";
    };
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

  private static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      return null;
    }
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
