package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiClient;
import java.util.List;
import java.util.function.IntConsumer;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;

/**
 * An API client whose server is an in-process interceptor that accepts every write and echoes its
 * body back (no network): records "METHOD path" of each request and calls {@code afterWrite} with
 * how many were sent.
 */
final class EchoApi {

  private EchoApi() {}

  static ApiClient client(List<String> sent, IntConsumer afterWrite) {
    OkHttpClient http =
        new OkHttpClient.Builder()
            .addInterceptor(
                chain -> {
                  var request = chain.request();
                  String body = "{}";
                  if (request.body() != null) {
                    Buffer buffer = new Buffer();
                    request.body().writeTo(buffer);
                    body = buffer.readUtf8();
                  }
                  sent.add(request.method() + " " + request.url().encodedPath());
                  afterWrite.accept(sent.size());
                  return new Response.Builder()
                      .request(request)
                      .protocol(Protocol.HTTP_1_1)
                      .code("POST".equals(request.method()) ? 201 : 200)
                      .message("OK")
                      .body(ResponseBody.create(body, MediaType.get("application/json")))
                      .build();
                })
            .build();
    ApiClient client = new ApiClient(http);
    client.setBasePath("http://127.0.0.1:1"); // never reached: the interceptor answers
    return client;
  }
}
