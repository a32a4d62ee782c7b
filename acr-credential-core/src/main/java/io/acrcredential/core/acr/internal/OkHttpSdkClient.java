package io.acrcredential.core.acr.internal;

import com.aliyuncs.exceptions.ClientException;
import com.aliyuncs.http.CallBack;
import com.aliyuncs.http.HttpClientConfig;
import com.aliyuncs.http.HttpRequest;
import com.aliyuncs.http.HttpResponse;
import com.aliyuncs.http.IHttpClient;
import java.io.IOException;
import java.util.concurrent.Future;

/**
 * Not API: the transport Alibaba's SDK creates by reflection ({@code HttpClientType.Custom}), so
 * that every OpenAPI call goes through OkHttp instead of Apache HttpClient. The SDK's {@code
 * HttpClientFactory} needs a public class with a public {@code (HttpClientConfig)} constructor,
 * which is all this is; the work is done by the {@link Exchange} found in the config's ext params
 * under {@link #EXCHANGE_PARAM}.
 */
public final class OkHttpSdkClient extends IHttpClient {

  /** The {@link HttpClientConfig#getExtParam(Object)} key holding the {@link Exchange}. */
  public static final String EXCHANGE_PARAM = "io.acrcredential.exchange";

  /** Sends one SDK request; implemented (package-private) next to the code that configures it. */
  public interface Exchange {
    /**
     * Sends the request and reads the whole response.
     *
     * @param request the signed request the SDK built
     * @return the response, as the SDK reads it
     * @throws IOException when the request fails; its message holds no URL query
     */
    HttpResponse send(HttpRequest request) throws IOException;
  }

  // Assigned in init(), which the super constructor calls; deliberately no initializer.
  private Exchange exchange;

  /**
   * Called by the SDK's {@code HttpClientFactory}.
   *
   * @param config the SDK client's HTTP settings, with the {@link Exchange} in its ext params
   * @throws ClientException never; declared by the SDK's constructor
   */
  public OkHttpSdkClient(HttpClientConfig config) throws ClientException {
    super(config);
  }

  @Override
  protected void init(HttpClientConfig config) {
    if (!(config.getExtParam(EXCHANGE_PARAM) instanceof Exchange e)) {
      throw new IllegalStateException(
          "OkHttpSdkClient is created by acr-credential's own SDK clients only");
    }
    this.exchange = e;
  }

  @Override
  public HttpResponse syncInvoke(HttpRequest request) throws IOException {
    return exchange.send(request);
  }

  @Override
  public Future<HttpResponse> asyncInvoke(HttpRequest request, CallBack callback) {
    throw new UnsupportedOperationException("acr-credential makes only synchronous SDK calls");
  }

  @Override
  @Deprecated
  public void ignoreSSLCertificate() {
    throw new UnsupportedOperationException("certificate checks cannot be turned off");
  }

  @Override
  @Deprecated
  public void restoreSSLCertificate() {
    // Certificate checks are always on.
  }

  @Override
  public boolean isSingleton() {
    return false;
  }

  @Override
  public void close() {
    // The OkHttpClient is shared and owned by the AcrTokenProvider that created it.
  }
}
