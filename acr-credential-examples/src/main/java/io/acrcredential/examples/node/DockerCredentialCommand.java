package io.acrcredential.examples.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.CredentialConfig;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.cli.ProgramVersion;
import io.acrcredential.examples.util.JsonTree;
import io.acrcredential.examples.util.TokenFailures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * {@code docker-credential}: the Docker credential helper protocol, as {@code docker-credential-acr
 * <verb>}. {@code get} answers for ACR hosts and mapped custom domains; {@code list} lists hosts
 * with a cached token; {@code store} and {@code erase} accept their input and keep nothing. Errors
 * go to standard output with exit code 1, as the protocol wants.
 */
public final class DockerCredentialCommand extends BasicCommand {

  static final String NOT_FOUND = "credentials not found in native keychain";

  private static final Options OPTIONS =
      CredentialConfig.addOptions(
          new Options("docker-credential-acr"), CredentialConfig.Source.DEFAULT_CHAIN);

  /** The command with its options and help. */
  public DockerCredentialCommand() {
    super(
        "docker-credential",
        "Docker credential helper (docker-credential-acr get|list|store|erase)",
        "Usage: docker-credential-acr [options] get|list|store|erase|version\n\n"
            + "Docker/Podman/Skopeo credential helper for ACR. 'get' reads a registry host on stdin"
            + " and\nprints {\"ServerURL\",\"Username\",\"Secret\"}; hosts that are not ACR (or"
            + " mapped in\n"
            + "~/.config/acr-credential/domains.json / ACR_CREDENTIAL_DOMAINS) are '"
            + NOT_FOUND
            + "'.\n'store' and 'erase' succeed without storing anything.\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    if (p.positional().size() != 1) {
      throw CliException.usage(
          "expected one verb: get, list, store, erase or version; see 'docker-credential-acr"
              + " --help'");
    }
    String verb = p.positional().get(0);
    try {
      return switch (verb) {
        case "get" -> get(p, io);
        case "list" -> list(p, io);
        case "store", "erase" -> {
          readStdin(io);
          yield 0;
        }
        case "version" -> {
          io.out().println("docker-credential-acr " + ProgramVersion.get());
          yield 0;
        }
        default ->
            throw CliException.usage(
                "unknown verb '" + verb + "': use get, list, store, erase or version");
      };
    } catch (CliException e) {
      if (e.exitCode() == CliException.USAGE) {
        throw e;
      }
      io.out().println(e.getMessage());
      return 1;
    } catch (TokenException e) {
      io.out().println(TokenFailures.describe(e));
      return 1;
    }
  }

  private int get(Options.Parsed p, Invocation io) {
    String serverUrl = readStdin(io).strip();
    Optional<String> host = RegistryLogins.hostOf(serverUrl);
    if (host.isEmpty()) {
      io.out().println(NOT_FOUND);
      return 1;
    }
    CredentialConfig config = CredentialConfig.from(p, io, CredentialConfig.Source.DEFAULT_CHAIN);
    try (RegistryLogins logins =
        new RegistryLogins(config, DiskTokenCache.forUser(io), DomainMap.load(io))) {
      Optional<RegistryTarget> target = logins.target(host.get());
      if (target.isEmpty()) {
        io.out().println(NOT_FOUND);
        return 1;
      }
      RegistryCredential c = logins.login(target.get());
      ObjectNode json = JsonTree.object();
      json.put("ServerURL", serverUrl);
      json.put("Username", c.username());
      json.put("Secret", c.password());
      write(io, json);
      return 0;
    }
  }

  private int list(Options.Parsed p, Invocation io) {
    Map<String, String> hosts = DiskTokenCache.forUser(io).validHosts();
    ObjectNode json = JsonTree.object();
    hosts.forEach(json::put);
    write(io, json);
    return 0;
  }

  private static void write(Invocation io, ObjectNode json) {
    try {
      byte[] bytes = JsonTree.write(json);
      io.out().write(bytes, 0, bytes.length);
      io.out().println();
      io.out().flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The most read from standard input: a server URL, or a few for {@code store}/{@code erase}. */
  static final int MAX_INPUT = 64 * 1024;

  private static String readStdin(Invocation io) {
    try {
      byte[] bytes = io.in().readNBytes(MAX_INPUT + 1);
      if (bytes.length > MAX_INPUT) {
        throw CliException.failure(
            "standard input is larger than " + MAX_INPUT / 1024 + " KiB; expected a server URL");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CliException.failure("cannot read standard input: " + e.getMessage());
    }
  }
}
