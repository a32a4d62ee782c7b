package io.acrcredential.k8s;

import io.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.kubernetes.client.extended.leaderelection.LeaderElector;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.openapi.ApiClient;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election and the write fence: owns the elector's thread and tells the sync when it may
 * write. Without {@link LeaderSettings} it leads as soon as {@link #start} is called.
 *
 * <p>Leadership as the fence sees it (elector callbacks plus Lease observations) is published to
 * the sync's listeners whenever it differs from what they were last told, never after {@link
 * #close()}.
 */
final class Leadership {

  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  private final LeaderSettings settings;
  private final ApiClient apiClient;
  private final String instance;
  private final WriteFence fence;
  private final Runnable onLead;
  private final Consumer<Runnable> onScheduler;
  private final Consumer<Boolean> publish;

  private volatile boolean closed;
  private boolean reported; // guarded by publish()'s lock
  private Thread thread;
  private volatile LeaderElector elector;

  /**
   * @param settings the election, or null to lead without one
   * @param onLead called whenever this replica (again) may write: enqueue every namespace
   * @param onScheduler runs a task on the sync's scheduler thread
   * @param publish tells the listeners of a leadership change
   */
  Leadership(
      LeaderSettings settings,
      ApiClient apiClient,
      String instance,
      Runnable onLead,
      Consumer<Runnable> onScheduler,
      Consumer<Boolean> publish) {
    this.settings = settings;
    this.apiClient = apiClient;
    this.instance = instance;
    this.onLead = onLead;
    this.onScheduler = onScheduler;
    this.publish = publish;
    this.fence =
        settings == null
            ? WriteFence.unelected()
            : WriteFence.elected(
                settings.identity(),
                settings.renewDeadline(),
                System::nanoTime,
                this::leaseObservationChanged);
  }

  WriteFence fence() {
    return fence;
  }

  /** Leads at once without an election, else starts the elector's thread. */
  void start(ThreadFactory threads) {
    if (settings == null) {
      becomeLeader();
    } else {
      thread = threads.newThread(this::loop);
      thread.start();
    }
  }

  /** Closes the fence first, so that no further write is sent. */
  void closeFence() {
    closed = true;
    fence.close();
  }

  /** Gives the lease up when held (a standby takes over at once) and ends the elector's thread. */
  void close() {
    closeFence();
    LeaderElector e = elector;
    if (e != null) {
      e.close();
    }
    Threads.interruptAndJoin(thread);
  }

  private void loop() {
    while (!closed) {
      LeaseLock lock =
          new LeaseLock(settings.namespace(), settings.name(), settings.identity(), apiClient);
      LeaderElector le =
          new LeaderElector(
              new LeaderElectionConfig(
                  fence.wrap(lock),
                  settings.leaseDuration(),
                  settings.renewDeadline(),
                  settings.retryPeriod()),
              t -> LOG.warn("leader election for {}: {}", instance, t.toString()));
      elector = le;
      if (closed) {
        break;
      }
      le.run(this::becomeLeader, this::stopLeading);
      if (closed) {
        break;
      }
      // LeaderElector does not re-acquire after losing the lease: start a fresh one.
      le.close();
      try {
        Thread.sleep(settings.retryPeriod().toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void becomeLeader() {
    if (closed) {
      return;
    }
    fence.lead();
    publish();
    onLead.run();
  }

  private void stopLeading() {
    fence.stopLeading();
    publish();
  }

  /**
   * A Lease request showed another holder, or a renewal succeeded after the fence had closed. Runs
   * on the elector's lease thread, so the listeners are told from the scheduler instead (a slow
   * listener must not delay a renewal). Namespaces abandoned while the fence was closed are
   * enqueued again when it opens while this instance still leads.
   */
  private void leaseObservationChanged() {
    onScheduler.accept(
        () -> {
          publish();
          if (fence.mayWrite()) {
            onLead.run();
          }
        });
  }

  private synchronized void publish() {
    boolean now = fence.leads();
    if (closed || now == reported) {
      return;
    }
    reported = now;
    if (now) {
      LOG.info("acr-credential sync {} is leader", instance);
    } else {
      LOG.info("acr-credential sync {} is no longer leader", instance);
    }
    publish.accept(now);
  }
}
