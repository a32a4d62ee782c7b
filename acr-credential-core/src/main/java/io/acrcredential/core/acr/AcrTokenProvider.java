package io.acrcredential.core.acr;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import io.acrcredential.core.TokenProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets temporary ACR registry passwords through Alibaba Cloud's OpenAPI: {@code
 * GetAuthorizationToken} of Personal Edition (2016-06-07) or Enterprise Edition (2018-12-01).
 *
 * <p>Domains of the returned credential are the target's explicit domains, else the region's
 * Personal Edition domains, else the enabled endpoints of the Enterprise Edition instance (from
 * {@code ListInstanceEndpoint}, cached per instance). Calls are signed by Alibaba's SDK and sent
 * with OkHttp, over HTTPS unless an endpoint was explicitly configured as {@code http://} (tests).
 *
 * <p>Every failure is a {@link TokenException} whose message says what to fix and never contains a
 * password, token or AccessKey secret. Thread-safe; does not cache tokens (wrap it in a cache).
 *
 * <pre>{@code
 * TokenProvider acr = AcrTokenProvider.builder()
 *     .credentials(AlibabaCredentials.defaultChain())
 *     .build();
 * RegistryCredential c = acr.fetch(RegistryTarget.enterprise("cn-hangzhou", "cri-abc123"));
 * }</pre>
 */
public final class AcrTokenProvider implements TokenProvider, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AcrTokenProvider.class);
  private static final Pattern INSTANCE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

  private final Transport transport;
  private final IdentityProvider identity;
  private final AcrApi api;
  private final boolean ownsHttp;
  private final boolean hasAcrOverride;
  private final ConcurrentMap<String, List<String>> instanceDomains = new ConcurrentHashMap<>();

  private AcrTokenProvider(Builder b) {
    boolean own = b.http == null;
    OkHttpClient http = own ? new OkHttpClient() : b.http;
    this.ownsHttp = own;
    this.hasAcrOverride = b.acr != null;
    this.transport =
        new Transport(
            http, b.connectTimeout, b.readTimeout, b.callTimeout, b.clock, b.sts, b.metadata);
    this.identity = CredentialProviders.create(b.credentials.spec(), transport);
    this.api =
        new AcrApi(
            transport.sdkClient(identity, "cn-hangzhou"), identity, Optional.ofNullable(b.acr));
  }

  /**
   * Starts a builder with the default credential chain, the public regional ACR endpoints, 5 s
   * connect, 10 s read and 20 s total timeouts per call and the system clock. Redirects are never
   * followed and answers are read up to 1 MiB.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Gets a fresh temporary registry password for the target.
   *
   * @param target the registry
   * @return the credential with its domains
   * @throws TokenException on any failure; see its reason and message
   */
  @Override
  public RegistryCredential fetch(RegistryTarget target) {
    Objects.requireNonNull(target, "target");
    LOG.debug("Fetching an ACR token for {} as the {}", target.describe(), identity.identity());
    AcrApi.Token token;
    try {
      token =
          target.edition() == RegistryEdition.PERSONAL
              ? api.personalToken(target)
              : api.enterpriseToken(target);
    } catch (TokenException e) {
      throw withRegionHint(e, target.regionId());
    }
    if (!token.expiresAt().isAfter(transport.clock().instant())) {
      throw new TokenException(
          Reason.INVALID_RESPONSE,
          null,
          "ACR returned a token for "
              + target.describe()
              + " that expired at "
              + token.expiresAt()
              + ", before now; check this machine's clock.");
    }
    List<String> domains = domainsFor(target);
    RegistryCredential credential = token.withDomains(domains);
    LOG.debug(
        "Got an ACR token for {} (user {}, expires {}, {} domain(s))",
        target.describe(),
        credential.username(),
        credential.expiresAt(),
        domains.size());
    return credential;
  }

  /**
   * A network failure on the default endpoint of a region this library does not know is most likely
   * a mistyped region: say so, with the closest known region.
   */
  private TokenException withRegionHint(TokenException e, String regionId) {
    if (e.reason() != Reason.NETWORK || hasAcrOverride || AcrRegions.isKnown(regionId)) {
      return e;
    }
    String hint;
    try {
      AcrRegions.check(regionId);
      return e;
    } catch (IllegalArgumentException unknown) {
      hint = unknown.getMessage();
    }
    return new TokenException(
        e.reason(), e.errorCode().orElse(null), e.getMessage() + " Note: " + hint, e.getCause());
  }

  private List<String> domainsFor(RegistryTarget target) {
    if (!target.domains().isEmpty()) {
      return target.domains();
    }
    if (target.edition() == RegistryEdition.PERSONAL) {
      return Domains.personalDefaults(target.regionId());
    }
    String instanceId = target.instanceId().orElseThrow();
    String key = target.regionId() + "/" + instanceId;
    List<String> cached = instanceDomains.get(key);
    if (cached != null) {
      return cached;
    }
    List<String> domains = api.instanceDomains(target.regionId(), instanceId);
    instanceDomains.putIfAbsent(key, domains);
    return domains;
  }

  /**
   * Finds the id ({@code cri-…}) of an Enterprise Edition instance from its name, the part before
   * {@code -registry} in its domains. Pages through {@code ListInstance}; needs {@code
   * cr:ListInstance}.
   *
   * @param regionId the region, e.g. {@code cn-hangzhou}
   * @param instanceName the instance name
   * @return the instance id
   * @throws TokenException with reason {@code NOT_FOUND} when no instance has that name, or any
   *     other call failure
   * @throws IllegalArgumentException when the region or name is malformed
   */
  public String findInstanceId(String regionId, String instanceName) {
    String region = RegistryTarget.personal(regionId).regionId();
    if (instanceName == null || !INSTANCE_NAME.matcher(instanceName.trim()).matches()) {
      throw new IllegalArgumentException(
          "invalid Enterprise Edition instance name '"
              + instanceName
              + "': expected letters, digits, '-' and '_'");
    }
    String id = api.findInstanceId(region, instanceName.trim());
    LOG.debug("Instance '{}' in {} is {}", instanceName, region, id);
    return id;
  }

  /** Releases the HTTP connections this provider created (not a client passed to the builder). */
  @Override
  public void close() {
    if (ownsHttp) {
      transport.http().connectionPool().evictAll();
      transport.http().dispatcher().executorService().shutdown();
    }
  }

  /** Configures an {@link AcrTokenProvider}. Not thread-safe; build once and share the result. */
  public static final class Builder {
    private AlibabaCredentials credentials = AlibabaCredentials.defaultChain();
    private Endpoint acr;
    private Endpoint sts = Transport.DEFAULT_STS;
    private Endpoint metadata = Transport.DEFAULT_METADATA;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(10);
    private Duration callTimeout = Duration.ofSeconds(20);
    private Clock clock = Clock.systemUTC();
    private OkHttpClient http;

    private Builder() {}

    /**
     * The Alibaba identity that signs the calls (default: {@link
     * AlibabaCredentials#defaultChain()}).
     *
     * @param credentials the identity
     * @return this builder
     */
    public Builder credentials(AlibabaCredentials credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * Sends ACR calls to this endpoint instead of {@code cr.<region>.aliyuncs.com}: {@code
     * host[:port]} or {@code https://host[:port]} for HTTPS, {@code http://host[:port]} for plain
     * HTTP (tests only).
     *
     * @param endpoint the endpoint
     * @return this builder
     * @throws IllegalArgumentException when the endpoint is malformed
     */
    public Builder endpoint(String endpoint) {
      this.acr = Endpoint.parse(endpoint, "ACR endpoint");
      return this;
    }

    /**
     * Sends STS calls ({@code AssumeRole}, {@code AssumeRoleWithOIDC}) to this endpoint instead of
     * {@code sts.aliyuncs.com}; same forms as {@link #endpoint(String)}.
     *
     * @param endpoint the endpoint, e.g. {@code sts-vpc.cn-hangzhou.aliyuncs.com}
     * @return this builder
     * @throws IllegalArgumentException when the endpoint is malformed
     */
    public Builder stsEndpoint(String endpoint) {
      this.sts = Endpoint.parse(endpoint, "STS endpoint");
      return this;
    }

    /**
     * Reads ECS RAM role credentials from this metadata service instead of {@code 100.100.100.200}.
     * The metadata service speaks plain HTTP, so {@code host[:port]} means {@code http://}.
     *
     * @param endpoint the endpoint
     * @return this builder
     * @throws IllegalArgumentException when the endpoint is malformed
     */
    public Builder metadataEndpoint(String endpoint) {
      this.metadata = Endpoint.parse(endpoint, "metadata endpoint", true);
      return this;
    }

    /**
     * Connect timeout of every call (default 5 s).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Read timeout of every call (default 10 s).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Total deadline of every call, from connecting to the last byte of the answer (default 20 s),
     * so that a peer sending slowly cannot hold a call for longer than this.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive(timeout, "callTimeout");
      return this;
    }

    /**
     * The clock for expiry decisions (default: system UTC).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * An OkHttp client to share (its proxy, TLS and pool settings are kept; timeouts are set from
     * this builder, and redirects are never followed). Without it the provider creates its own and
     * {@link #close()} releases it.
     *
     * @param client the client
     * @return this builder
     */
    public Builder httpClient(OkHttpClient client) {
      this.http = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Builds the provider. No network call is made until the first fetch.
     *
     * @return the provider
     */
    public AcrTokenProvider build() {
      return new AcrTokenProvider(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
