package io.acrcredential.core;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where {@link CachingTokenProvider} runs its background refreshes. A seam so that tests drive
 * refreshes with fake time instead of threads and sleeps.
 */
interface RefreshScheduler {

  /** A scheduled task that can be called off. */
  interface Handle {
    /** Calls the task off if it has not started; harmless when it already ran. */
    void cancel();
  }

  /**
   * Runs {@code task} once after {@code delayMillis}.
   *
   * @throws RejectedExecutionException when the scheduler no longer accepts work
   */
  Handle schedule(Runnable task, long delayMillis);

  /** Stops running tasks and releases the threads this scheduler created, if any. */
  void close();

  /**
   * A scheduler on an executor the caller owns: tasks are cancelled by the cache, the executor is
   * left running.
   */
  static RefreshScheduler borrowing(ScheduledExecutorService executor) {
    return new RefreshScheduler() {
      @Override
      public Handle schedule(Runnable task, long delayMillis) {
        Future<?> future = executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
      }

      @Override
      public void close() {}
    };
  }

  /** A scheduler with its own single daemon thread, shut down by {@link #close()}. */
  static RefreshScheduler owningThread() {
    return new OwnedScheduler();
  }

  /** One daemon thread named {@code acr-credential-cache-refresher-N}. */
  final class OwnedScheduler implements RefreshScheduler {
    private static final AtomicInteger POOL_NUMBER = new AtomicInteger();
    private static final long TERMINATION_WAIT_MILLIS = 5_000;

    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ScheduledThreadPoolExecutor executor;

    OwnedScheduler() {
      String name = "acr-credential-cache-refresher-" + POOL_NUMBER.incrementAndGet();
      ThreadFactory factory =
          runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            threads.add(thread);
            return thread;
          };
      executor = new ScheduledThreadPoolExecutor(1, factory);
      executor.setRemoveOnCancelPolicy(true);
      executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public Handle schedule(Runnable task, long delayMillis) {
      Future<?> future = executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
      return () -> future.cancel(false);
    }

    @Override
    public void close() {
      executor.shutdownNow();
      if (threads.contains(Thread.currentThread())) {
        return; // closed from a listener on our own thread: it ends when this task returns
      }
      try {
        executor.awaitTermination(TERMINATION_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** The threads created so far, for tests. */
    Set<Thread> threads() {
      return Set.copyOf(threads);
    }
  }
}
