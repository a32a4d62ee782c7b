package io.acrcredential.examples.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrTokenProvider;
import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.CredentialConfig;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.util.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/** {@code token}: one token, printed or written as a Docker config. */
public final class TokenCommand extends BasicCommand {

  private static final Options OPTIONS =
      CredentialConfig.addOptions(
          new Options("token")
              .value("region", "REGION", "ACR_CREDENTIAL_REGION", "region id, e.g. cn-hangzhou")
              .value(
                  "instance-id",
                  "ID",
                  "ACR_CREDENTIAL_INSTANCE_ID",
                  "Enterprise Edition instance id (cri-...); without it: Personal Edition")
              .repeatable(
                  "domain",
                  "HOST",
                  "registry host to write the login for (default: the registry's domains)")
              .value(
                  "format",
                  "FORMAT",
                  null,
                  "dockerconfigjson (default) or json (username, password, expiresAt, domains)")
              .value(
                  "output",
                  "FILE",
                  null,
                  "write to FILE (atomically, mode 0600) instead of standard output; an existing"
                      + " Docker config keeps its other entries, anything else is refused (with"
                      + " --format json: only a file this format wrote before is replaced)"),
          CredentialConfig.Source.DEFAULT_CHAIN);

  /** The command with its options and help. */
  public TokenCommand() {
    super(
        "token",
        "get a registry token and print or write it as a Docker config",
        "Usage: acr-credential token --region REGION [--instance-id ID] [--domain HOST]..."
            + " [--format dockerconfigjson|json] [--output FILE]\n\n"
            + "Gets a temporary registry password from ACR with Alibaba Cloud's default credential"
            + " chain\n(ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/SECURITY_TOKEN, RRSA variables, CLI profile"
            + " ~/.aliyun/config.json,\nprofile file, ECS RAM role, ALIBABA_CLOUD_CREDENTIALS_URI)."
            + "\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    p.requireNoPositional();
    String format = p.value("format").orElse("dockerconfigjson").toLowerCase(Locale.ROOT);
    if (!format.equals("dockerconfigjson") && !format.equals("json")) {
      throw CliException.usage("invalid --format '" + format + "': use dockerconfigjson or json");
    }
    RegistryTarget target;
    try {
      String region = p.required("region");
      target =
          p.value("instance-id")
              .map(id -> RegistryTarget.enterprise(region, id))
              .orElseGet(() -> RegistryTarget.personal(region));
      if (!p.all("domain").isEmpty()) {
        target =
            target.withDomains(p.all("domain").stream().map(RegistryHosts::normalize).toList());
      }
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
    CredentialConfig config = CredentialConfig.from(p, io, CredentialConfig.Source.DEFAULT_CHAIN);
    RegistryCredential credential;
    try (AcrTokenProvider provider = config.provider()) {
      credential = provider.fetch(target);
    }
    byte[] bytes = format.equals("json") ? json(credential) : DockerConfig.encode(credential);
    var output = p.value("output");
    if (output.isPresent()) {
      Path file = Path.of(output.get());
      OutputFile.Destination destination = OutputFile.resolve(file);
      if (destination.existing().isPresent()) {
        byte[] existing = destination.existing().get();
        if (format.equals("json")) {
          requireReplaceableByJson(file, existing);
        } else {
          bytes = mergeInto(file, existing, bytes);
        }
      }
      try {
        AtomicFiles.write(destination.file(), bytes);
      } catch (IOException e) {
        throw CliException.failure(
            "cannot write " + file + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
      }
      io.err()
          .println(
              "Wrote the login for "
                  + String.join(", ", credential.domains())
                  + " to "
                  + file
                  + " (expires "
                  + credential.expiresAt()
                  + ")");
    } else {
      io.out().write(bytes, 0, bytes.length);
      io.out().println();
      io.out().flush();
    }
    return 0;
  }

  /**
   * Puts the new {@code auths} entries into an existing Docker config, keeping every other entry
   * and key ({@code credHelpers}, {@code credsStore}, other registries' logins). A file that is not
   * a Docker config is never overwritten. Messages name the file and the problem, never its
   * content.
   */
  static byte[] mergeInto(Path file, byte[] existing, byte[] ours) {
    JsonNode root;
    try {
      root = existing.length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(existing);
    } catch (JsonProcessingException e) {
      throw CliException.failure(
          "refusing to overwrite "
              + file
              + ": it is not valid JSON (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + "); fix or move it, or choose another --output");
    } catch (IOException e) {
      throw CliException.failure("cannot read " + file + ": " + e.getClass().getSimpleName());
    }
    if (root == null || root.isMissingNode()) {
      root = Json.MAPPER.createObjectNode();
    }
    if (!root.isObject()) {
      throw CliException.failure(
          "refusing to overwrite "
              + file
              + ": it is not a Docker config (a JSON object); fix or move it, or choose another"
              + " --output");
    }
    ObjectNode config = (ObjectNode) root;
    if (!looksLikeDockerConfig(config)) {
      throw CliException.failure(
          "refusing to overwrite "
              + file
              + ": it is a JSON object but not a Docker config (no \"auths\", \"credHelpers\""
              + " or \"credsStore\", and keys Docker does not use); choose another --output");
    }
    JsonNode auths = config.get("auths");
    if (auths != null && !auths.isObject()) {
      throw CliException.failure(
          "refusing to overwrite "
              + file
              + ": its \"auths\" is not a JSON object; fix or move it, or choose another --output");
    }
    ObjectNode target = auths == null ? config.putObject("auths") : (ObjectNode) auths;
    try {
      Json.MAPPER
          .readTree(ours)
          .get("auths")
          .fields()
          .forEachRemaining(e -> target.set(e.getKey(), e.getValue()));
      return Json.MAPPER.writeValueAsBytes(config);
    } catch (IOException e) {
      throw new IllegalStateException("re-reading our own Docker config failed", e);
    }
  }

  /** Top-level keys of Docker's and Podman's config.json (docker/cli configfile). */
  private static final Set<String> DOCKER_CONFIG_KEYS =
      Set.of(
          "auths",
          "credHelpers",
          "credsStore",
          "HttpHeaders",
          "psFormat",
          "imagesFormat",
          "networksFormat",
          "pluginsFormat",
          "volumesFormat",
          "statsFormat",
          "detachKeys",
          "experimental",
          "stackOrchestrator",
          "kubernetes",
          "proxies",
          "currentContext",
          "cliPluginsExtraDirs",
          "plugins",
          "aliases",
          "features",
          "serviceInspectFormat",
          "servicesFormat",
          "secretFormat",
          "configFormat",
          "nodesFormat",
          "pruneFilters",
          "tasksFormat");

  /**
   * Whether an existing JSON object is a Docker config this command may add logins to: empty, or
   * holding one of the credential keys, or only keys Docker's config uses. A {@code package.json}
   * or any other JSON document is not.
   */
  static boolean looksLikeDockerConfig(ObjectNode config) {
    if (config.has("auths") || config.has("credHelpers") || config.has("credsStore")) {
      return true;
    }
    for (Iterator<String> names = config.fieldNames(); names.hasNext(); ) {
      if (!DOCKER_CONFIG_KEYS.contains(names.next())) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code --format json} writes a file of its own: it replaces only an empty file or one it wrote
   * before (the four keys of its output), never a Docker config or any other document, so a Docker
   * config's other logins are never lost to it.
   */
  static void requireReplaceableByJson(Path file, byte[] existing) {
    boolean ours;
    try {
      JsonNode root = existing.length == 0 ? null : Json.MAPPER.readTree(existing);
      ours = root == null || root.isMissingNode();
      if (!ours && root.isObject() && root.size() > 0) {
        ours = true;
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
          ours &= JSON_KEYS.contains(names.next());
        }
      }
    } catch (IOException e) {
      ours = false;
    }
    if (!ours) {
      throw CliException.failure(
          "refusing to overwrite "
              + file
              + " with --format json: it exists and is not an earlier --format json output (a"
              + " Docker config keeps its other logins only with --format dockerconfigjson);"
              + " choose another --output");
    }
  }

  private static final Set<String> JSON_KEYS =
      Set.of("username", "password", "expiresAt", "domains");

  private static byte[] json(RegistryCredential c) {
    ObjectNode json = Json.MAPPER.createObjectNode();
    json.put("username", c.username());
    json.put("password", c.password());
    json.put("expiresAt", c.expiresAt().toString());
    json.putArray("domains").addAll(c.domains().stream().map(json::textNode).toList());
    try {
      return Json.MAPPER.writeValueAsBytes(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
