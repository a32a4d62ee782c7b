package io.acrcredential.core;

import io.acrcredential.testing.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs scheduled tasks on the thread that advances fake time, in due order, moving the clock to
 * each task's due time first. No threads, no sleeps.
 */
final class FakeScheduler implements RefreshScheduler {

  private static final class Task {
    final long due;
    final long seq;
    final Runnable runnable;
    boolean cancelled;

    Task(long due, long seq, Runnable runnable) {
      this.due = due;
      this.seq = seq;
      this.runnable = runnable;
    }
  }

  private final FakeClock clock;
  private final PriorityQueue<Task> queue =
      new PriorityQueue<>(
          Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq));
  private long seq;
  private boolean closed;
  final List<Long> requestedDelays = new ArrayList<>();

  FakeScheduler(FakeClock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized Handle schedule(Runnable task, long delayMillis) {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    requestedDelays.add(delayMillis);
    Task t = new Task(clock.millis() + delayMillis, seq++, task);
    queue.add(t);
    return () -> {
      synchronized (FakeScheduler.this) {
        t.cancelled = true;
        queue.remove(t);
      }
    };
  }

  @Override
  public synchronized void close() {
    closed = true;
    queue.clear();
  }

  boolean isClosed() {
    return closed;
  }

  /** Moves time forward by {@code step}, running every task that falls due on the way. */
  void advance(Duration step) {
    advanceTo(clock.millis() + step.toMillis());
  }

  void advanceTo(long targetMillis) {
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > targetMillis) {
          break;
        }
        queue.poll();
      }
      if (next.due > clock.millis()) {
        clock.set(Instant.ofEpochMilli(next.due));
      }
      next.runnable.run();
    }
    if (targetMillis > clock.millis()) {
      clock.set(Instant.ofEpochMilli(targetMillis));
    }
  }

  synchronized int pending() {
    return queue.size();
  }

  synchronized Optional<Instant> nextDue() {
    Task t = queue.peek();
    return t == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(t.due));
  }
}
