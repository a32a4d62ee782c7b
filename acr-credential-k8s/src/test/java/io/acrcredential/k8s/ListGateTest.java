package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One list at a time; a holder that never comes back loses the gate after its lease. */
class ListGateTest {

  @Test
  void aSecondListWaitsUntilTheFirstLeaves() throws Exception {
    ListGate gate = new ListGate(Duration.ofSeconds(30));
    Object first = new Object();
    Object second = new Object();
    gate.enter(first);
    gate.enter(first); // re-entering (a relist without a watch) does not wait
    CompletableFuture<Void> waiting =
        CompletableFuture.runAsync(
            () -> {
              try {
                gate.enter(second);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(300);
    assertThat(waiting).isNotDone();
    gate.leave(second); // not the holder: changes nothing
    Thread.sleep(100);
    assertThat(waiting).isNotDone();
    gate.leave(first);
    waiting.get(5, TimeUnit.SECONDS);
    assertThat(gate.held()).isTrue();
    gate.leave(second);
    assertThat(gate.held()).isFalse();
  }

  @Test
  void aHolderThatNeverLeavesLosesTheGateAfterItsLease() throws Exception {
    ListGate gate = new ListGate(Duration.ofMillis(300));
    gate.enter(new Object());
    long start = System.nanoTime();
    gate.enter(new Object());
    long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertThat(waited).isBetween(200L, 5_000L);
  }
}
