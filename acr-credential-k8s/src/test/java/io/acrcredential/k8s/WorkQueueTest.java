package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  private static final long MS = 1_000_000L;

  private final AtomicLong nanos = new AtomicLong(Long.MAX_VALUE - 1_000 * MS); // wraps around
  private final WorkQueue<String> queue =
      new WorkQueue<>(Duration.ofMillis(100), Duration.ofSeconds(1), nanos::get);

  private void advance(long ms) {
    nanos.addAndGet(ms * MS);
  }

  @Test
  void itemsComeInOrderAndOnceEach() {
    queue.add("a");
    queue.add("b");
    queue.add("a");
    assertThat(queue.size()).isEqualTo(2);
    assertThat(queue.poll()).isEqualTo("a");
    assertThat(queue.poll()).isEqualTo("b");
    assertThat(queue.poll()).isNull();
  }

  @Test
  void anItemAddedWhileBeingWorkedOnWaitsUntilDone() {
    queue.add("a");
    assertThat(queue.poll()).isEqualTo("a");
    queue.add("a");
    queue.add("a");
    assertThat(queue.poll()).as("never to two workers at once").isNull();
    queue.done("a");
    assertThat(queue.poll()).isEqualTo("a");
    queue.done("a");
    assertThat(queue.poll()).as("added twice while busy, queued once").isNull();
  }

  @Test
  void aDelayedItemComesWhenDue() {
    queue.addAfter("a", Duration.ofMillis(500));
    advance(499);
    assertThat(queue.poll()).isNull();
    advance(1);
    assertThat(queue.poll()).isEqualTo("a");
  }

  @Test
  void aSecondDelayKeepsTheEarlierTimeAndTheItemComesOnce() {
    queue.addAfter("a", Duration.ofMillis(500));
    queue.addAfter("a", Duration.ofMillis(200));
    queue.addAfter("a", Duration.ofMillis(900));
    assertThat(queue.size()).isEqualTo(1);
    advance(200);
    assertThat(queue.poll()).isEqualTo("a");
    queue.done("a");
    advance(1000);
    assertThat(queue.poll()).isNull();
  }

  @Test
  void aDelayedItemAlreadyQueuedIsNotQueuedTwice() {
    queue.add("a");
    queue.addAfter("a", Duration.ofMillis(100));
    advance(100);
    assertThat(queue.poll()).isEqualTo("a");
    assertThat(queue.poll()).isNull();
  }

  @Test
  void retriesBackOffExponentiallyUpToTheMaximumUntilForgotten() {
    long[] expected = {100, 200, 400, 800, 1000, 1000};
    for (int i = 0; i < expected.length; i++) {
      WorkQueue.Retry retry = queue.retryLater("a");
      assertThat(retry.attempt()).isEqualTo(i + 1);
      assertThat(retry.delay()).isEqualTo(Duration.ofMillis(expected[i]));
      advance(expected[i] - 1);
      assertThat(queue.poll()).isNull();
      advance(1);
      assertThat(queue.poll()).isEqualTo("a");
      queue.done("a");
    }
    queue.forget("a");
    assertThat(queue.retryLater("a")).isEqualTo(new WorkQueue.Retry(1, Duration.ofMillis(100)));
    assertThat(queue.backoff(500)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void failuresAreCountedPerItem() {
    queue.retryLater("a");
    queue.retryLater("a");
    assertThat(queue.retryLater("b").attempt()).isEqualTo(1);
  }

  @Test
  void afterShutDownNothingIsAddedAndTakeReturnsNull() throws Exception {
    queue.add("a");
    queue.shutDown();
    queue.add("b");
    queue.addAfter("c", Duration.ofMillis(1));
    assertThat(queue.take()).as("what was ready still drains").isEqualTo("a");
    assertThat(queue.take()).isNull();
  }

  @Test
  void takeWaitsForADelayedItemAndWakesOnShutDown() throws Exception {
    WorkQueue<String> real =
        new WorkQueue<>(Duration.ofMillis(100), Duration.ofSeconds(1), System::nanoTime);
    long t0 = System.nanoTime();
    real.addAfter("a", Duration.ofMillis(50));
    assertThat(real.take()).isEqualTo("a");
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(50 * MS);
    CompletableFuture<String> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return real.take();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(50);
    assertThat(waiting).isNotDone();
    real.shutDown();
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isNull();
  }
}
