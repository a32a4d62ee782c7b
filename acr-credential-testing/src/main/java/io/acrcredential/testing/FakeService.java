package io.acrcredential.testing;

import java.util.List;
import java.util.Optional;

/**
 * What every fake offers besides its own configuration: its address, call counts, recorded requests
 * and failure injection. All methods are thread-safe.
 */
public interface FakeService extends AutoCloseable {

  /**
   * The address to send requests to, e.g. {@code 127.0.0.1:41234} (plain HTTP); pass it to the
   * SDK's {@code request.setSysEndpoint(...)}.
   *
   * @return {@code host:port}
   */
  String endpoint();

  /**
   * The port the fake listens on (on 127.0.0.1).
   *
   * @return the port
   */
  int port();

  /**
   * How many requests were routed to the operation since start or the last {@link #resetCalls()},
   * including rejected and failed ones.
   *
   * @param api the operation
   * @return the count
   */
  int callCount(FakeApi api);

  /**
   * How many requests this fake received in total (including ones it could not route).
   *
   * @return the count
   */
  int totalCalls();

  /** Sets all call counts to zero and forgets recorded requests. */
  void resetCalls();

  /**
   * The most recent request routed to the operation.
   *
   * @param api the operation
   * @return the request, or empty if none arrived
   */
  Optional<RecordedRequest> lastRequest(FakeApi api);

  /**
   * The recorded requests for the operation, oldest first (at most the last 200).
   *
   * @param api the operation
   * @return an immutable list
   */
  List<RecordedRequest> requests(FakeApi api);

  /**
   * Makes the next {@code times} calls of the operation fail (queued after earlier {@code failNext}
   * injections for it).
   *
   * @param api the operation
   * @param times how many calls, at least 1
   * @param failure what to do instead of answering normally
   */
  void failNext(FakeApi api, int times, Failure failure);

  /**
   * Makes every call of the operation fail until {@link #clearFailures()}; queued {@link
   * #failNext(FakeApi, int, Failure)} injections are used up first.
   *
   * @param api the operation
   * @param failure what to do instead of answering normally
   */
  void failAlways(FakeApi api, Failure failure);

  /** Removes all injected failures. */
  void clearFailures();

  /** Stops the server and its threads. Idempotent. */
  @Override
  void close();
}
