package io.acrcredential.core.acr;

import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/** Unsigned calls made directly with OkHttp (metadata service, STS AssumeRoleWithOIDC). */
final class PlainHttp {

  /** A read answer. */
  record Answer(int status, String contentType, byte[] body) {
    @Override
    public String toString() {
      return "Answer[status=" + status + ", contentType=" + contentType + "]";
    }
  }

  private PlainHttp() {}

  static Answer execute(OkHttpClient http, Request request, CallContext ctx) {
    try (Response response = http.newCall(request).execute()) {
      if (Responses.isRedirect(response.code())) {
        throw new TokenException(
            Reason.INVALID_RESPONSE,
            null,
            ctx.where()
                + " at "
                + ctx.endpoint()
                + " "
                + Responses.describeRedirect(
                    response.code(), request.url(), response.header("Location"))
                + ".");
      }
      ResponseBody body = response.body();
      byte[] bytes = Responses.read(body);
      String type = body.contentType() == null ? null : body.contentType().toString();
      return new Answer(response.code(), type, bytes);
    } catch (Responses.TooLargeException e) {
      throw new TokenException(
          Reason.INVALID_RESPONSE,
          null,
          ctx.where() + " at " + ctx.endpoint() + ": " + e.getMessage() + "; not read further.");
    } catch (IOException e) {
      IOException safe = SdkHttp.sanitized(e);
      throw new TokenException(
          Reason.NETWORK,
          null,
          (SdkHttp.isTimeout(e) ? "Timed out waiting for " : "Could not reach ")
              + ctx.where()
              + " at "
              + ctx.endpoint()
              + ": "
              + safe.getMessage()
              + "; check the network and endpoint settings (retryable).",
          safe);
    }
  }
}
