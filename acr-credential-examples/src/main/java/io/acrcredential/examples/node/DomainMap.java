package io.acrcredential.examples.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.util.JsonTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registry hosts that cannot be recognised from their name (custom domains of an Enterprise Edition
 * instance, a registry behind a proxy) mapped to an ACR instance.
 *
 * <p>Read from {@code $ACR_CREDENTIAL_DOMAINS_FILE}, else {@code
 * $XDG_CONFIG_HOME/acr-credential/domains.json}, else {@code ~/.config/acr-credential/domains.json}
 * (a missing default file is an empty map):
 *
 * <pre>{@code
 * {"domains": {
 *   "registry.example.com": {"region": "cn-hangzhou", "instanceId": "cri-abc123"},
 *   "mirror.example.com:5000": {"region": "cn-shanghai"}
 * }}
 * }</pre>
 *
 * A mapping without {@code instanceId} means the region's Personal Edition. The variable {@code
 * ACR_CREDENTIAL_DOMAINS} adds entries, {@code host=region/cri-id} or {@code host=region},
 * separated by commas; they win over the file.
 */
final class DomainMap {

  static final String ENV_FILE = "ACR_CREDENTIAL_DOMAINS_FILE";
  static final String ENV_INLINE = "ACR_CREDENTIAL_DOMAINS";

  private final Map<String, RegistryTarget> targets;

  private DomainMap(Map<String, RegistryTarget> targets) {
    this.targets = Map.copyOf(targets);
  }

  static DomainMap empty() {
    return new DomainMap(Map.of());
  }

  /**
   * Loads the mappings.
   *
   * @throws CliException naming the file, entry or variable that is wrong
   */
  static DomainMap load(Invocation io) {
    Map<String, RegistryTarget> map = new LinkedHashMap<>();
    String explicit = io.get(ENV_FILE);
    Path file;
    if (explicit != null) {
      file = Path.of(explicit);
    } else {
      String xdg = io.get("XDG_CONFIG_HOME");
      file =
          (xdg != null ? Path.of(xdg) : io.home().resolve(".config"))
              .resolve("acr-credential")
              .resolve("domains.json");
    }
    try {
      readFile(file, map);
    } catch (NoSuchFileException e) {
      if (explicit != null) {
        throw CliException.failure(
            "the domain mapping file " + file + " (" + ENV_FILE + ") does not exist");
      }
    } catch (IOException e) {
      throw CliException.failure(
          "cannot read the domain mapping file " + file + ": " + e.getClass().getSimpleName());
    }
    String inline = io.get(ENV_INLINE);
    if (inline != null) {
      for (String item : inline.split(",")) {
        if (item.isBlank()) {
          continue;
        }
        int eq = item.indexOf('=');
        if (eq < 0) {
          throw CliException.failure(
              ENV_INLINE
                  + ": entry '"
                  + item.trim()
                  + "' is not host=region or host=region/cri-id");
        }
        String value = item.substring(eq + 1).trim();
        int slash = value.indexOf('/');
        String region = slash < 0 ? value : value.substring(0, slash);
        String instance = slash < 0 ? null : value.substring(slash + 1);
        put(map, item.substring(0, eq), region, instance, ENV_INLINE);
      }
    }
    return new DomainMap(map);
  }

  private static void readFile(Path file, Map<String, RegistryTarget> map) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    JsonNode root;
    try {
      root = JsonTree.read(bytes);
    } catch (IOException e) {
      throw CliException.failure(
          "the domain mapping file " + file + " is not valid JSON: " + firstLine(e.getMessage()));
    }
    String where = "the domain mapping file " + file;
    if (root == null || !root.isObject() || !root.path("domains").isObject()) {
      throw CliException.failure(where + " needs an object {\"domains\": {\"<host>\": {...}}}");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!name.equals("domains")) {
        throw CliException.failure(where + " has an unknown key '" + name + "'");
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.get("domains").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      String entry = where + ", entry '" + e.getKey() + "'";
      if (!v.isObject()) {
        throw CliException.failure(entry + ": expected {\"region\": …, \"instanceId\": …}");
      }
      for (Iterator<String> keys = v.fieldNames(); keys.hasNext(); ) {
        String k = keys.next();
        if (!k.equals("region") && !k.equals("instanceId")) {
          throw CliException.failure(
              entry + " has an unknown key '" + k + "' (use region, instanceId)");
        }
      }
      if (!v.path("region").isTextual()) {
        throw CliException.failure(entry + " needs \"region\", e.g. \"cn-hangzhou\"");
      }
      JsonNode instance = v.get("instanceId");
      if (instance != null && !instance.isTextual()) {
        throw CliException.failure(entry + ": \"instanceId\" must be a string like cri-abc123");
      }
      put(
          map,
          e.getKey(),
          v.get("region").asText(),
          instance == null ? null : instance.asText(),
          entry);
    }
  }

  private static void put(
      Map<String, RegistryTarget> map, String host, String region, String instance, String where) {
    try {
      String normal = RegistryHosts.normalize(host);
      RegistryTarget target =
          instance == null || instance.isBlank()
              ? RegistryTarget.personal(region)
              : RegistryTarget.enterprise(region, instance);
      map.put(normal, target.withDomains(List.of(normal)));
    } catch (IllegalArgumentException e) {
      throw CliException.failure(where + ": " + e.getMessage());
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The target mapped to a normalised host. */
  Optional<RegistryTarget> lookup(String normalHost) {
    return Optional.ofNullable(targets.get(normalHost));
  }

  int size() {
    return targets.size();
  }
}
