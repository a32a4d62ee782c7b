package io.acrcredential.benchmarks;

import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Counts the requests an {@link io.kubernetes.client.openapi.ApiClient} sends, by kind. Installed
 * as an OkHttp application interceptor, so a retried or redirected call counts once per call the
 * client makes, which is what the API server's request budget sees.
 */
final class RequestCounter implements Interceptor {

  private final LongAdder total = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder watches = new LongAdder();
  private final LongAdder lists = new LongAdder();

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request r = chain.request();
    total.increment();
    if (!"GET".equals(r.method())) {
      writes.increment();
    } else if ("true".equals(r.url().queryParameter("watch"))) {
      watches.increment();
    } else if (!lastSegmentIsAName(r.url().encodedPath())) {
      lists.increment();
    }
    return chain.proceed(r);
  }

  /**
   * Collection paths end in a plural resource ({@code /secrets}); named ones have a name after it.
   * Good enough for the core/v1 and coordination paths used here.
   */
  private static boolean lastSegmentIsAName(String path) {
    String[] parts = path.split("/");
    String last = parts[parts.length - 1];
    return !(last.equals("namespaces")
        || last.equals("secrets")
        || last.equals("serviceaccounts")
        || last.equals("events")
        || last.equals("leases"));
  }

  Counts snapshot() {
    return new Counts(total.sum(), writes.sum(), watches.sum(), lists.sum());
  }

  /** Request counts at one moment; subtract two to get a phase. */
  record Counts(long total, long writes, long watches, long lists) {
    static final Counts ZERO = new Counts(0, 0, 0, 0);

    Counts minus(Counts earlier) {
      return new Counts(
          total - earlier.total,
          writes - earlier.writes,
          watches - earlier.watches,
          lists - earlier.lists);
    }

    Counts plus(Counts other) {
      return new Counts(
          total + other.total, writes + other.writes, watches + other.watches, lists + other.lists);
    }

    @Override
    public String toString() {
      return total
          + " requests ("
          + writes
          + " writes, "
          + lists
          + " lists, "
          + watches
          + " watches)";
    }
  }
}
