package io.acrcredential.k8s;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/** Records the method, path and {@code watch} parameter of every request a client sends. */
final class RequestLog implements Interceptor {

  /** One request: method, encoded path, and whether it was a watch. */
  record Entry(String method, String path, boolean watch) {}

  final List<Entry> requests = new CopyOnWriteArrayList<>();

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request r = chain.request();
    requests.add(
        new Entry(
            r.method(), r.url().encodedPath(), "true".equals(r.url().queryParameter("watch"))));
    return chain.proceed(r);
  }

  /** The GET requests (lists and watches) of a collection path. */
  List<Entry> reads(String path) {
    return requests.stream()
        .filter(e -> e.method().equals("GET") && e.path().equals(path))
        .toList();
  }

  /** GET requests of every ServiceAccount collection: cluster-wide or namespaced. */
  List<Entry> serviceAccountCollectionReads() {
    return requests.stream()
        .filter(e -> e.method().equals("GET") && e.path().endsWith("/serviceaccounts"))
        .toList();
  }
}
