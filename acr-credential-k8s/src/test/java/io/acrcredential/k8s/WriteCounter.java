package io.acrcredential.k8s;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Interceptor;
import okhttp3.Response;

/** Counts every non-GET request a client sends (create, update, patch, delete). */
final class WriteCounter implements Interceptor {

  final List<String> writes = new CopyOnWriteArrayList<>();

  @Override
  public Response intercept(Chain chain) throws IOException {
    if (!"GET".equals(chain.request().method())) {
      writes.add(chain.request().method() + " " + chain.request().url().encodedPath());
    }
    return chain.proceed(chain.request());
  }
}
