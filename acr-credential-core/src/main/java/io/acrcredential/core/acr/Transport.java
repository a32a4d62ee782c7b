package io.acrcredential.core.acr;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.auth.AlibabaCloudCredentialsProvider;
import com.aliyuncs.http.HttpClientConfig;
import com.aliyuncs.http.HttpClientType;
import com.aliyuncs.http.HttpUtil;
import com.aliyuncs.profile.DefaultProfile;
import io.acrcredential.core.acr.internal.OkHttpSdkClient;
import java.time.Clock;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a remote call needs besides credentials: the one OkHttp client, timeouts, the clock
 * and the STS and metadata endpoints. Immutable; shared by the token provider and its credential
 * providers.
 */
record Transport(
    OkHttpClient http,
    Duration connectTimeout,
    Duration readTimeout,
    Duration callTimeout,
    Clock clock,
    Endpoint stsEndpoint,
    Endpoint metadataEndpoint) {

  /**
   * Every call through this transport has a total deadline and never follows a redirect (a redirect
   * could carry a signed request or an OIDC token to another origin); both are set on the client
   * itself, so the SDK's calls, the credential calls and the metadata calls share them, as they
   * share the {@code User-Agent} ({@link UserAgent}).
   */
  Transport {
    http =
        http.newBuilder()
            .connectTimeout(connectTimeout)
            .readTimeout(readTimeout)
            .callTimeout(callTimeout)
            .followRedirects(false)
            .followSslRedirects(false)
            .addInterceptor(UserAgent.interceptor())
            .build();
  }

  private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

  static final Endpoint DEFAULT_STS = Endpoint.https("sts.aliyuncs.com");
  static final Endpoint DEFAULT_METADATA = new Endpoint("100.100.100.200", true);

  /**
   * A new SDK client that signs with the given credentials and sends through OkHttp. Its default
   * protocol is HTTPS; each request still sets its own endpoint and protocol.
   */
  DefaultAcsClient sdkClient(AlibabaCloudCredentialsProvider credentials, String regionId) {
    silenceSdkWireDebug();
    HttpClientConfig config = new HttpClientConfig();
    config.setClientType(HttpClientType.Custom);
    config.setCustomClientClassName(OkHttpSdkClient.class.getName());
    config.setExtParam(
        OkHttpSdkClient.EXCHANGE_PARAM,
        new SdkHttp(http, connectTimeout.toMillis(), readTimeout.toMillis()));
    config.setConnectionTimeoutMillis(connectTimeout.toMillis());
    config.setReadTimeoutMillis(readTimeout.toMillis());
    config.setProtocolType(com.aliyuncs.http.ProtocolType.HTTPS);
    DefaultProfile profile = DefaultProfile.getProfile(regionId);
    profile.setHttpClientConfig(config);
    profile.setCloseTrace(true);
    DefaultAcsClient client = new DefaultAcsClient(profile, credentials);
    client.setAutoRetry(false);
    return client;
  }

  /**
   * With {@code DEBUG=sdk} in the environment, Alibaba's SDK logs every request's headers and
   * string to sign, which carry the STS security token. Secrets must never reach logs, so that
   * (JVM-wide) switch is turned off here, with a warning saying why.
   */
  static void silenceSdkWireDebug() {
    if (Boolean.TRUE.equals(HttpUtil.getIsHttpDebug())
        || Boolean.TRUE.equals(HttpUtil.getIsHttpContentDebug())) {
      HttpUtil.setIsHttpDebug(false);
      HttpUtil.setIsHttpContentDebug(false);
      LOG.warn(
          "Alibaba's SDK wire debugging (DEBUG=sdk) logs STS security tokens and signatures;"
              + " acr-credential has turned it off");
    }
  }
}
