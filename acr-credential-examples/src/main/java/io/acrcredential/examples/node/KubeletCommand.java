package io.acrcredential.examples.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.CredentialConfig;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.util.Excerpt;
import io.acrcredential.examples.util.JsonTree;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kubelet-credential-provider}: the kubelet image credential provider plugin protocol,
 * {@code credentialprovider.kubelet.k8s.io/v1}.
 *
 * <p>Reads one {@code CredentialProviderRequest} from standard input and writes one {@code
 * CredentialProviderResponse} to standard output: {@code cacheKeyType: Registry}, {@code
 * cacheDuration} half of the token's remaining lifetime (as AWS's ecr-credential-provider does, so
 * the kubelet asks again well before the token expires), {@code auth} keyed by the image's registry
 * host. An image outside ACR (and not a mapped domain) gets an empty {@code auth}. Any failure: one
 * line on standard error, exit code 1, nothing on standard output.
 */
public final class KubeletCommand extends BasicCommand {

  static final String API_VERSION = "credentialprovider.kubelet.k8s.io/v1";
  static final String ROLE_ARN_ANNOTATION = "acr-credential.io/role-arn";
  static final String PROVIDER_ARN_ANNOTATION = "acr-credential.io/oidc-provider-arn";
  static final String SESSION_NAME_ANNOTATION = "acr-credential.io/role-session-name";

  private static final Options OPTIONS =
      CredentialConfig.addOptions(
          new Options("kubelet-credential-provider")
              .value(
                  "oidc-provider-arn",
                  "ARN",
                  "ACR_CREDENTIAL_OIDC_PROVIDER_ARN",
                  "the cluster's RRSA OIDC provider, for service-account tokens without the "
                      + PROVIDER_ARN_ANNOTATION
                      + " annotation"),
          CredentialConfig.Source.DEFAULT_CHAIN);

  /** The command with its options and help. */
  public KubeletCommand() {
    super(
        "kubelet-credential-provider",
        "kubelet image credential provider plugin (CredentialProviderRequest on stdin)",
        "Usage: acr-credential-provider [options] < CredentialProviderRequest\n\n"
            + "Kubelet image credential provider for ACR ("
            + API_VERSION
            + ").\nCredentials: Alibaba Cloud's default chain, as in the CredentialProviderConfig's"
            + " env\n(AccessKey variables, RRSA, profiles, then the node's RAM role from ECS metadata"
            + " unless\nALIBABA_CLOUD_ECS_METADATA_DISABLED=true).\nWith tokenAttributes, a service account annotated "
            + ROLE_ARN_ANNOTATION
            + " pulls as that role\n(its token is exchanged with STS AssumeRoleWithOIDC).\n\n",
        OPTIONS);
  }

  /** A parsed request. */
  record Request(String image, Optional<String> token, Map<String, String> annotations) {
    @Override
    public String toString() {
      return "Request[image="
          + image
          + ", token="
          + (token.isPresent() ? "<redacted>" : "none")
          + ", annotations="
          + annotations
          + "]";
    }
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    p.requireNoPositional();
    Request request = parse(readStdin(io));
    CredentialConfig config = CredentialConfig.from(p, io, CredentialConfig.Source.DEFAULT_CHAIN);
    config = serviceAccountIdentity(request, p, config);

    String host = registryHost(request.image());
    ObjectNode response = JsonTree.object();
    response.put("apiVersion", API_VERSION);
    response.put("kind", "CredentialProviderResponse");
    response.put("cacheKeyType", "Registry");
    ObjectNode auth = JsonTree.object();
    Optional<String> normal =
        RegistryHosts.isValid(host) ? Optional.of(RegistryHosts.normalize(host)) : Optional.empty();
    try (RegistryLogins logins =
        new RegistryLogins(config, DiskTokenCache.forUser(io), DomainMap.load(io))) {
      Optional<RegistryTarget> target =
          normal.isPresent() ? logins.target(normal.get()) : Optional.empty();
      if (target.isPresent()) {
        RegistryCredential c = logins.login(target.get());
        Duration remaining = Duration.between(io.clock().instant(), c.expiresAt());
        response.put("cacheDuration", goDuration(remaining.dividedBy(2)));
        ObjectNode login = auth.putObject(host);
        login.put("username", c.username());
        login.put("password", c.password());
      }
    }
    response.set("auth", auth);
    byte[] bytes;
    try {
      bytes = JsonTree.write(response);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    io.out().write(bytes, 0, bytes.length);
    io.out().println();
    io.out().flush();
    return 0;
  }

  private static CredentialConfig serviceAccountIdentity(
      Request request, Options.Parsed p, CredentialConfig config) {
    String role = request.annotations().get(ROLE_ARN_ANNOTATION);
    if (request.token().isEmpty()) {
      if (role != null) {
        throw CliException.failure(
            "the request carries the "
                + ROLE_ARN_ANNOTATION
                + " annotation but no serviceAccountToken: configure tokenAttributes"
                + " (serviceAccountTokenAudience) for this provider in the kubelet's"
                + " CredentialProviderConfig");
      }
      return config;
    }
    if (role == null) {
      // tokenAttributes without the role annotation on this service account: the node's identity.
      return config;
    }
    String provider =
        Optional.ofNullable(request.annotations().get(PROVIDER_ARN_ANNOTATION))
            .or(() -> p.value("oidc-provider-arn"))
            .orElseThrow(
                () ->
                    CliException.failure(
                        "service account role "
                            + role
                            + " needs the OIDC provider: annotate the service account with "
                            + PROVIDER_ARN_ANNOTATION
                            + " or start the plugin with --oidc-provider-arn"
                            + " (env ACR_CREDENTIAL_OIDC_PROVIDER_ARN)"));
    return config.withOidcToken(
        new CredentialConfig.OidcToken(
            role,
            provider,
            request.token().get(),
            request.annotations().get(SESSION_NAME_ANNOTATION)));
  }

  /** The most read of a request; one carries an image name and at most a service-account token. */
  static final int MAX_REQUEST = 1 << 20;

  private static byte[] readStdin(Invocation io) {
    try {
      byte[] bytes = io.in().readNBytes(MAX_REQUEST + 1);
      if (bytes.length > MAX_REQUEST) {
        throw CliException.failure(
            "the CredentialProviderRequest on standard input is larger than "
                + MAX_REQUEST / 1024
                + " KiB; not read further");
      }
      return bytes;
    } catch (IOException e) {
      throw CliException.failure("cannot read the request from standard input: " + e.getMessage());
    }
  }

  /**
   * Parses and checks a request.
   *
   * @throws CliException saying what is wrong with it
   */
  static Request parse(byte[] body) {
    JsonNode json;
    try {
      json = JsonTree.read(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw CliException.failure(
          "the CredentialProviderRequest on standard input is not valid JSON: "
              + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw CliException.failure("cannot read the CredentialProviderRequest: " + e.getMessage());
    }
    if (json == null || json.isMissingNode()) {
      throw CliException.failure(
          "standard input is empty; expected a CredentialProviderRequest (" + API_VERSION + ")");
    }
    if (!json.isObject()) {
      throw CliException.failure("the CredentialProviderRequest must be a JSON object");
    }
    String apiVersion = json.path("apiVersion").asText("");
    if (!API_VERSION.equals(apiVersion)) {
      throw CliException.failure(
          "unsupported apiVersion "
              + Excerpt.of(apiVersion)
              + " in the request; this plugin speaks "
              + API_VERSION
              + " (set apiVersion in the kubelet's CredentialProviderConfig)");
    }
    String kind = json.path("kind").asText("");
    if (!"CredentialProviderRequest".equals(kind)) {
      throw CliException.failure(
          "unexpected kind "
              + Excerpt.of(kind)
              + " in the request; expected CredentialProviderRequest");
    }
    JsonNode image = json.get("image");
    if (image == null || !image.isTextual() || image.asText().isBlank()) {
      throw CliException.failure("the request has no \"image\" (a non-empty string)");
    }
    String img = image.asText().strip();
    if (hasControlOrSpace(img)) {
      throw CliException.failure("the request's image contains whitespace or control characters");
    }
    JsonNode token = json.get("serviceAccountToken");
    if (token != null && !token.isNull() && !token.isTextual()) {
      throw CliException.failure("the request's serviceAccountToken must be a string");
    }
    Map<String, String> annotations = new java.util.TreeMap<>();
    JsonNode ann = json.get("serviceAccountAnnotations");
    if (ann != null && !ann.isNull()) {
      if (!ann.isObject()) {
        throw CliException.failure("the request's serviceAccountAnnotations must be an object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = ann.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw CliException.failure(
              "service account annotation " + Excerpt.of(e.getKey()) + " must be a string");
        }
        annotations.put(e.getKey(), e.getValue().asText().trim());
      }
    }
    Optional<String> t =
        token == null || token.isNull() || token.asText().isBlank()
            ? Optional.empty()
            : Optional.of(token.asText().trim());
    return new Request(img, t, annotations);
  }

  /**
   * The registry host of an image reference, as the kubelet matches it: the part before the first
   * {@code /} when it looks like a host (has a {@code .} or {@code :}, or is {@code localhost}),
   * else Docker Hub.
   */
  static String registryHost(String image) {
    int slash = image.indexOf('/');
    if (slash <= 0) {
      return "docker.io";
    }
    String first = image.substring(0, slash);
    if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
      return first;
    }
    return "docker.io";
  }

  /** A duration in Go's {@code time.Duration} notation, whole seconds, at least {@code 1s}. */
  static String goDuration(Duration d) {
    long s = Math.max(1, d.getSeconds());
    long h = s / 3600;
    long m = (s % 3600) / 60;
    long sec = s % 60;
    if (h > 0) {
      return h + "h" + m + "m" + sec + "s";
    }
    if (m > 0) {
      return m + "m" + sec + "s";
    }
    return sec + "s";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static boolean hasControlOrSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) <= ' ') {
        return true;
      }
    }
    return false;
  }
}
