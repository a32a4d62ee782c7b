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
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads {@code config.json} and legacy {@code .dockercfg} bodies for {@link DockerConfig}: strict
 * JSON (no duplicate members, no trailing data, bounded size), strict UTF-8, and error messages
 * that say what and where without any value from the input.
 */
final class DockerConfigDecoder {

  private static final JsonMapper STRICT =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final byte[] UTF8_BOM = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};

  private DockerConfigDecoder() {}

  static SortedMap<String, DockerConfig.Auth> decode(byte[] json) {
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

  static SortedMap<String, DockerConfig.Auth> decodeLegacy(byte[] json) {
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

  private static SortedMap<String, DockerConfig.Auth> fromEntries(JsonNode map, String where) {
    SortedMap<String, DockerConfig.Auth> auths = new TreeMap<>();
    for (Map.Entry<String, JsonNode> field : map.properties()) {
      String key = field.getKey();
      String path = where + "[" + RegistryHosts.quote(key, '"') + "]";
      if (key.isEmpty()) {
        throw fail(path, "the registry key is empty");
      }
      if (!DockerConfig.isWellFormed(key)) {
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
        auths.put(key, new DockerConfig.Auth(user, pass));
      } catch (IllegalArgumentException e) {
        throw fail(path, e.getMessage());
      }
    }
    return auths;
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
}
