package io.acrcredential.core.acr;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The Alibaba Cloud CLI's configuration ({@code ~/.aliyun/config.json}): a {@code current} profile
 * name and {@code profiles}, each with a {@code name}, a {@code mode} and the mode's fields. The
 * modes the SDK's {@code CLIProfileCredentialsProvider} knows map onto credential specs:
 *
 * <ul>
 *   <li>{@code AK}: {@code access_key_id}, {@code access_key_secret};
 *   <li>{@code StsToken}: the same plus {@code sts_token};
 *   <li>{@code RamRoleArn}: an AccessKey (plus {@code sts_token} when it is temporary) assuming
 *       {@code ram_role_arn}, with {@code ram_session_name} and {@code expired_seconds};
 *   <li>{@code EcsRamRole}: {@code ram_role_name}, or the attached role when empty;
 *   <li>{@code OIDC}: {@code ram_role_arn}, {@code oidc_provider_arn}, {@code oidc_token_file},
 *       {@code ram_session_name};
 *   <li>{@code ChainableRamRoleArn}: the profile named by {@code source_profile} assuming {@code
 *       ram_role_arn};
 *   <li>{@code CredentialsURI}: {@code credentials_uri}.
 * </ul>
 *
 * <p>Other modes (OAuth, CloudSSO, External, ...) and the {@code policy} and {@code external_id}
 * fields are rejected with an error naming the file, profile and mode. Errors never quote a value
 * of the file.
 */
final class CliProfile {

  static final String SUPPORTED =
      "AK, StsToken, RamRoleArn, EcsRamRole, OIDC, ChainableRamRoleArn and CredentialsURI";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int MAX_CHAIN = 10;

  /** A chosen profile: its spec and a log-safe description of where it came from. */
  record Loaded(CredentialSpec spec, String source) {
    @Override
    public String toString() {
      return "Loaded[" + source + "]";
    }
  }

  private final Path file;
  private final JsonNode profiles;

  private CliProfile(Path file, JsonNode profiles) {
    this.file = file;
    this.profiles = profiles;
  }

  /**
   * Reads the profile to use.
   *
   * @param file the CLI configuration file
   * @param requested the profile name from {@code ALIBABA_CLOUD_PROFILE}, or null for the file's
   *     {@code current}
   * @return the spec, or empty when the file does not exist, names no profile, or lacks the
   *     requested one (the profile file is then tried with the same name)
   * @throws TokenException INVALID_CONFIGURATION when the file or the chosen profile is unusable
   */
  static Optional<Loaded> load(Path file, String requested) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The Alibaba Cloud CLI configuration "
              + file
              + " is not valid JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
              + "; fix it, or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true to skip it.");
    } catch (IOException e) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The Alibaba Cloud CLI configuration "
              + file
              + " cannot be read ("
              + e.getClass().getSimpleName()
              + "); fix its permissions, or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true.");
    }
    if (root == null || !root.isObject()) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The Alibaba Cloud CLI configuration "
              + file
              + " is not a JSON object with \"current\" and \"profiles\"; fix it, or set"
              + " ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true.");
    }
    String name = requested;
    if (name == null) {
      JsonNode current = root.get("current");
      name = current != null && current.isTextual() ? current.asText().trim() : "";
    }
    if (name.isEmpty()) {
      return Optional.empty();
    }
    JsonNode profiles = root.get("profiles");
    CliProfile cli = new CliProfile(file, profiles);
    if (cli.find(name) == null) {
      return Optional.empty();
    }
    CredentialSpec spec = cli.spec(name, new LinkedHashSet<>());
    return Optional.of(new Loaded(spec, "profile '" + name + "' of " + file));
  }

  private JsonNode find(String name) {
    if (profiles == null || !profiles.isArray()) {
      return null;
    }
    for (JsonNode p : profiles) {
      JsonNode n = p.get("name");
      if (n != null && n.isTextual() && n.asText().equals(name)) {
        return p;
      }
    }
    return null;
  }

  private CredentialSpec spec(String name, Set<String> visiting) {
    String where = "profile '" + name + "' of the Alibaba Cloud CLI configuration " + file;
    if (!visiting.add(name) || visiting.size() > MAX_CHAIN) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The "
              + where
              + " is part of a source_profile loop ("
              + String.join(" -> ", visiting)
              + " -> "
              + name
              + "); make the chain end in a profile with its own credentials.");
    }
    JsonNode p = find(name);
    if (p == null) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The Alibaba Cloud CLI configuration "
              + file
              + " has no profile '"
              + name
              + "' (named as source_profile); add it or fix the name.");
    }
    String mode = optional(p, "mode", where);
    if (mode == null) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The " + where + " has no mode; set \"mode\" to one of " + SUPPORTED + ".");
    }
    where = where + " (mode " + mode + ")";
    try {
      return switch (mode) {
        case "AK" ->
            new CredentialSpec.AccessKey(
                required(p, "access_key_id", where), required(p, "access_key_secret", where));
        case "StsToken" ->
            new CredentialSpec.StsToken(
                required(p, "access_key_id", where),
                required(p, "access_key_secret", where),
                required(p, "sts_token", where));
        case "RamRoleArn" -> {
          String id = required(p, "access_key_id", where);
          String secret = required(p, "access_key_secret", where);
          String token = optional(p, "sts_token", where);
          CredentialSpec base =
              token == null
                  ? new CredentialSpec.AccessKey(id, secret)
                  : new CredentialSpec.StsToken(id, secret, token);
          yield assumeRole(base, p, where);
        }
        case "EcsRamRole" -> {
          String role = optional(p, "ram_role_name", where);
          yield AlibabaCredentials.ecsRamRole(role).spec();
        }
        case "OIDC" -> {
          rejectUnsupported(p, where);
          yield new CredentialSpec.Oidc(
              AlibabaCredentials.roleArn(
                  required(p, "ram_role_arn", where), "ram_role_arn of the " + where),
              AlibabaCredentials.oidcProviderArn(required(p, "oidc_provider_arn", where)),
              Path.of(required(p, "oidc_token_file", where)),
              AlibabaCredentials.sessionName(optional(p, "ram_session_name", where)));
        }
        case "ChainableRamRoleArn" -> {
          String source = required(p, "source_profile", where);
          yield assumeRole(spec(source, visiting), p, where);
        }
        case "CredentialsURI" -> {
          String uri = required(p, "credentials_uri", where);
          CredentialsUriProvider.parse(uri, "the " + where);
          yield new CredentialSpec.CredentialsUri(uri, "the " + where);
        }
        default ->
            throw new TokenException(
                Reason.INVALID_CONFIGURATION,
                null,
                "The "
                    + where
                    + " uses a mode acr-credential does not support; supported are "
                    + SUPPORTED
                    + ". Choose another profile with ALIBABA_CLOUD_PROFILE, or set"
                    + " ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true to skip the CLI configuration.");
      };
    } catch (IllegalArgumentException e) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION, null, e.getMessage() + " (in the " + where + ")");
    }
  }

  private static CredentialSpec assumeRole(CredentialSpec base, JsonNode p, String where) {
    rejectUnsupported(p, where);
    String roleArn =
        AlibabaCredentials.roleArn(
            required(p, "ram_role_arn", where), "ram_role_arn of the " + where);
    String session = AlibabaCredentials.sessionName(optional(p, "ram_session_name", where));
    Duration duration = AlibabaCredentials.DEFAULT_SESSION;
    JsonNode seconds = p.get("expired_seconds");
    if (seconds != null && !seconds.isNull()) {
      long value;
      if (seconds.isIntegralNumber() && seconds.canConvertToLong()) {
        value = seconds.asLong();
      } else if (seconds.isTextual() && seconds.asText().trim().matches("[0-9]{1,9}")) {
        value = Long.parseLong(seconds.asText().trim());
      } else {
        throw new TokenException(
            Reason.INVALID_CONFIGURATION,
            null,
            "The " + where + " has an expired_seconds that is not a whole number of seconds.");
      }
      if (value != 0) {
        if (value < AlibabaCredentials.MIN_SESSION_SECONDS
            || value > AlibabaCredentials.MAX_SESSION_SECONDS) {
          throw new TokenException(
              Reason.INVALID_CONFIGURATION,
              null,
              "The "
                  + where
                  + " has expired_seconds "
                  + value
                  + ", out of range: STS sessions last 900 to 43200 seconds.");
        }
        duration = Duration.ofSeconds(value);
      }
    }
    return new CredentialSpec.AssumeRole(base, roleArn, session, duration);
  }

  /** Fields acr-credential cannot honour; ignoring them would change who may do what. */
  private static void rejectUnsupported(JsonNode p, String where) {
    for (String key : new String[] {"policy", "external_id"}) {
      if (optional(p, key, where) != null) {
        throw new TokenException(
            Reason.INVALID_CONFIGURATION,
            null,
            "The "
                + where
                + " sets "
                + key
                + ", which acr-credential does not support; remove it, or use a role whose"
                + " own policy fits.");
      }
    }
  }

  private static String required(JsonNode p, String key, String where) {
    String value = optional(p, key, where);
    if (value == null) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION, null, "The " + where + " lacks " + key + ".");
    }
    return value;
  }

  private static String optional(JsonNode p, String key, String where) {
    JsonNode v = p.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The " + where + " has a " + v.getNodeType() + " for " + key + ", not a string.");
    }
    String s = v.asText().trim();
    return s.isEmpty() ? null : s;
  }
}
