package io.acrcredential.core.acr;

import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.auth.AlibabaCloudCredentialsProvider;
import com.aliyuncs.http.HttpClientConfig;
import com.aliyuncs.http.HttpClientType;
import com.aliyuncs.profile.DefaultProfile;
import java.time.Clock;
import java.time.Duration;
import okhttp3.OkHttpClient;

/**
 * Everything a remote call needs besides credentials: the one OkHttp client, timeouts, the clock
 * and the STS and metadata endpoints. Immutable; shared by the token provider and its credential
 * providers.
 */
record Transport(
    OkHttpClient http,
    Duration connectTimeout,
    Duration readTimeout,
    Clock clock,
    Endpoint stsEndpoint,
    Endpoint metadataEndpoint) {

  static final Endpoint DEFAULT_STS = Endpoint.https("sts.aliyuncs.com");
  static final Endpoint DEFAULT_METADATA = new Endpoint("100.100.100.200", true);

  /**
   * A new SDK client that signs with the given credentials and sends through OkHttp. Its default
   * protocol is HTTPS; each request still sets its own endpoint and protocol.
   */
  DefaultAcsClient sdkClient(AlibabaCloudCredentialsProvider credentials, String regionId) {
    HttpClientConfig config = new HttpClientConfig();
    config.setClientType(HttpClientType.Custom);
    config.setCustomClientClassName(OkHttpSdkClient.class.getName());
    config.setExtParam(OkHttpSdkClient.OKHTTP_PARAM, http);
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
}
