package io.acrcredential.core.acr;

import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Alibaba's INI credentials file ({@code ~/.alibabacloud/credentials}): sections of {@code key =
 * value} lines with a {@code type} of {@code access_key}, {@code sts}, {@code ecs_ram_role}, {@code
 * ram_role_arn} or {@code oidc_role_arn}. Errors name the file, profile and key, never a value.
 */
final class ProfileFile {

  private ProfileFile() {}

  static Map<String, Map<String, String>> parse(List<String> lines, Path file) {
    Map<String, Map<String, String>> sections = new HashMap<>();
    Map<String, String> current = null;
    int number = 0;
    for (String raw : lines) {
      number++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        current =
            sections.computeIfAbsent(
                line.substring(1, line.length() - 1).strip(), k -> new HashMap<>());
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0 || current == null) {
        throw new TokenException(
            Reason.INVALID_CONFIGURATION,
            null,
            "Line "
                + number
                + " of the credentials file "
                + file
                + " is neither a [profile] header nor a key = value line inside a profile.");
      }
      current.put(line.substring(0, eq).strip().toLowerCase(), line.substring(eq + 1).strip());
    }
    return sections;
  }

  /**
   * Reads a profile into a credential spec.
   *
   * @return the spec, or empty when the file does not exist and was not named explicitly
   */
  static Optional<CredentialSpec> load(Path file, boolean explicit, String profile) {
    if (!Files.exists(file)) {
      if (explicit) {
        throw new TokenException(
            Reason.INVALID_CONFIGURATION,
            null,
            "ALIBABA_CLOUD_CREDENTIALS_FILE names " + file + ", which does not exist.");
      }
      return Optional.empty();
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The credentials file " + file + " cannot be read: " + e.getClass().getSimpleName());
    }
    Map<String, String> section = parse(lines, file).get(profile);
    if (section == null) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The credentials file "
              + file
              + " has no profile ["
              + profile
              + "] (set ALIBABA_CLOUD_PROFILE to one it has).");
    }
    String where = "profile [" + profile + "] of " + file;
    String type = section.getOrDefault("type", "access_key");
    try {
      return Optional.of(
          switch (type) {
            case "access_key" ->
                new CredentialSpec.AccessKey(
                    key(section, "access_key_id", where), key(section, "access_key_secret", where));
            case "sts" ->
                new CredentialSpec.StsToken(
                    key(section, "access_key_id", where),
                    key(section, "access_key_secret", where),
                    key(section, "security_token", where));
            case "ecs_ram_role" ->
                new CredentialSpec.EcsRamRole(
                    Optional.ofNullable(section.get("role_name")).filter(s -> !s.isEmpty()));
            case "ram_role_arn" ->
                new CredentialSpec.AssumeRole(
                    new CredentialSpec.AccessKey(
                        key(section, "access_key_id", where),
                        key(section, "access_key_secret", where)),
                    AlibabaCredentials.roleArn(
                        key(section, "role_arn", where), "role_arn in " + where),
                    AlibabaCredentials.sessionName(section.get("role_session_name")),
                    AlibabaCredentials.DEFAULT_SESSION);
            case "oidc_role_arn" ->
                new CredentialSpec.Oidc(
                    AlibabaCredentials.roleArn(
                        key(section, "role_arn", where), "role_arn in " + where),
                    key(section, "oidc_provider_arn", where),
                    Path.of(key(section, "oidc_token_file_path", where)),
                    AlibabaCredentials.sessionName(section.get("role_session_name")));
            default ->
                throw new TokenException(
                    Reason.INVALID_CONFIGURATION,
                    null,
                    "The "
                        + where
                        + " has type '"
                        + type
                        + "'; supported are access_key, sts,"
                        + " ecs_ram_role, ram_role_arn and oidc_role_arn.");
          });
    } catch (IllegalArgumentException e) {
      throw new TokenException(Reason.INVALID_CONFIGURATION, null, e.getMessage());
    }
  }

  private static String key(Map<String, String> section, String key, String where) {
    String value = section.get(key);
    if (value == null || value.isEmpty()) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION, null, "The " + where + " lacks the key " + key + ".");
    }
    return value;
  }
}
