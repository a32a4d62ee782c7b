package io.acrcredential.testing;

import java.util.List;
import java.util.Optional;

/**
 * The {@link FakeService} bookkeeping every fake shares (endpoint, call counts, recorded requests,
 * failure injection, close), answered by the fake's {@link ServerCore}.
 */
abstract class ServerBackedFake implements FakeService {

  /** The HTTP server and bookkeeping behind this fake. */
  abstract ServerCore core();

  @Override
  public String endpoint() {
    return core().endpoint();
  }

  @Override
  public int port() {
    return core().port();
  }

  @Override
  public int callCount(FakeApi api) {
    return core().callCount(api);
  }

  @Override
  public int totalCalls() {
    return core().totalCalls();
  }

  @Override
  public void resetCalls() {
    core().resetCalls();
  }

  @Override
  public Optional<RecordedRequest> lastRequest(FakeApi api) {
    return core().lastRequest(api);
  }

  @Override
  public List<RecordedRequest> requests(FakeApi api) {
    return core().requests(api);
  }

  @Override
  public void failNext(FakeApi api, int times, Failure failure) {
    core().failNext(api, times, failure);
  }

  @Override
  public void failAlways(FakeApi api, Failure failure) {
    core().failAlways(api, failure);
  }

  @Override
  public void clearFailures() {
    core().clearFailures();
  }

  @Override
  public void close() {
    core().close();
  }
}
