package io.acrcredential.core.acr;

import com.aliyuncs.http.FormatType;
import com.aliyuncs.http.HttpRequest;
import com.aliyuncs.http.HttpResponse;
import com.aliyuncs.http.MethodType;
import io.acrcredential.core.acr.internal.OkHttpSdkClient;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Sends the SDK's requests through OkHttp: what {@link OkHttpSdkClient}, the transport Alibaba's
 * SDK instantiates by reflection, delegates to (it travels in the SDK config's ext params, so there
 * is no static state). I/O failures are re-thrown with messages that never contain the request's
 * query string (which carries signatures and STS tokens).
 */
final class SdkHttp implements OkHttpSdkClient.Exchange {

  private final OkHttpClient http;

  SdkHttp(OkHttpClient base, long connectTimeoutMillis, long readTimeoutMillis) {
    this.http =
        base.newBuilder()
            .connectTimeout(connectTimeoutMillis, TimeUnit.MILLISECONDS)
            .readTimeout(readTimeoutMillis, TimeUnit.MILLISECONDS)
            .followRedirects(false)
            .followSslRedirects(false)
            .build();
  }

  @Override
  public HttpResponse send(HttpRequest request) throws IOException {
    OkHttpClient client = http;
    if (request.getSysConnectTimeout() != null || request.getSysReadTimeout() != null) {
      OkHttpClient.Builder b = client.newBuilder();
      if (request.getSysConnectTimeout() != null) {
        b.connectTimeout(request.getSysConnectTimeout(), TimeUnit.MILLISECONDS);
      }
      if (request.getSysReadTimeout() != null) {
        b.readTimeout(request.getSysReadTimeout(), TimeUnit.MILLISECONDS);
      }
      client = b.build();
    }
    Request okRequest = toOkHttp(request);
    try (Response response = client.newCall(okRequest).execute()) {
      return fromOkHttp(response);
    } catch (IOException e) {
      throw sanitized(e);
    }
  }

  static Request toOkHttp(HttpRequest request) {
    MethodType method = request.getSysMethod();
    if (request.getSysUrl() == null || method == null) {
      throw new IllegalArgumentException("the SDK built a request without URL or method");
    }
    Request.Builder builder = new Request.Builder().url(request.getSysUrl());
    String contentType = request.getHeaderValue("Content-Type");
    if (contentType == null) {
      contentType =
          request.getContentTypeValue(request.getHttpContentType(), request.getSysEncoding());
    }
    for (Map.Entry<String, String> header : request.getSysHeaders().entrySet()) {
      String name = header.getKey();
      if (name == null
          || header.getValue() == null
          || name.equalsIgnoreCase("Content-Length")
          || name.equalsIgnoreCase("Content-Type")
          || name.equalsIgnoreCase("Host")) {
        continue;
      }
      builder.header(name, header.getValue());
    }
    builder.header("Accept-Encoding", "identity");
    RequestBody body = null;
    if (method.hasContent()) {
      byte[] content = request.getHttpContent() == null ? new byte[0] : request.getHttpContent();
      MediaType mediaType = contentType == null ? null : MediaType.parse(contentType);
      body = RequestBody.create(content, mediaType);
    } else if (contentType != null) {
      // Signed ROA GETs carry Content-Type in the string to sign; send it as the SDK signed it.
      builder.header("Content-Type", contentType);
    }
    return builder.method(method.name(), body).build();
  }

  static HttpResponse fromOkHttp(Response response) throws IOException {
    HttpResponse result = new HttpResponse(response.request().url().toString());
    result.setStatus(response.code());
    result.setReasonPhrase(response.message());
    for (String name : response.headers().names()) {
      result.putHeaderParameter(name, String.join(",", response.headers(name)));
    }
    ResponseBody body = response.body();
    byte[] bytes = Responses.read(body);
    if (bytes.length > 0) {
      MediaType mediaType = body.contentType();
      FormatType format = null;
      Charset charset = StandardCharsets.UTF_8;
      if (mediaType != null) {
        format = FormatType.mapAcceptToFormat(mediaType.type() + "/" + mediaType.subtype());
        charset = mediaType.charset(StandardCharsets.UTF_8);
      }
      result.setHttpContentType(format);
      result.setHttpContent(bytes, charset.name(), format);
    }
    return result;
  }

  /**
   * Whether a failure is a time limit: a socket read or connect timeout, or the whole call's
   * deadline ({@code callTimeout}), which OkHttp reports as an interrupted I/O "timeout".
   */
  static boolean isTimeout(IOException e) {
    return e instanceof SocketTimeoutException
        || (e instanceof InterruptedIOException && "timeout".equals(e.getMessage()));
  }

  /** The same kind of failure with a message that keeps no URL query. */
  static IOException sanitized(IOException e) {
    String message = Redaction.scrub(e.getMessage());
    IOException copy;
    if (isTimeout(e)) {
      // Also the call deadline: the SDK reports a SocketTimeoutException as a read timeout.
      copy = new SocketTimeoutException(message);
    } else if (e instanceof InterruptedIOException) {
      copy = new InterruptedIOException(message);
    } else {
      copy = new IOException(e.getClass().getSimpleName() + ": " + message);
    }
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }
}
