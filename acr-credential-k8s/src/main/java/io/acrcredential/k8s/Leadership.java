package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiClient;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election and the write fence: owns the elector's threads and tells the sync when it may
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
  private volatile LeaseElector elector;
  private ExecutorService hooks;

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

  /**
   * Leads at once without an election, else starts the elector's lease thread and the thread its
   * callbacks run on (so that a slow listener never delays a Lease request).
   */
  void start(ThreadFactory threads) {
    if (settings == null) {
      becomeLeader();
      return;
    }
    hooks = Executors.newSingleThreadExecutor(threads);
    LeaseElector e =
        new LeaseElector(
            fence.wrap(
                new KubeLeaseStore(
                    apiClient, settings.namespace(), settings.name(), settings.identity())),
            settings.leaseDuration(),
            settings.renewDeadline(),
            settings.retryPeriod(),
            System::nanoTime,
            () -> OffsetDateTime.now(ZoneOffset.UTC),
            () -> ThreadLocalRandom.current().nextDouble(),
            () -> Threads.runUnlessClosing(hooks, this::becomeLeader),
            () -> Threads.runUnlessClosing(hooks, this::stopLeading));
    elector = e;
    if (!closed) {
      e.start(threads);
    }
  }

  /** Closes the fence first, so that no further write is sent. */
  void closeFence() {
    closed = true;
    fence.close();
  }

  /** Gives the lease up when held (a standby takes over at once) and ends the elector's threads. */
  void close() {
    closeFence();
    LeaseElector e = elector;
    if (e != null) {
      e.close();
    }
    Threads.shutdown(hooks);
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
