package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Decides, immediately before each write request, whether this instance may still send it: it must
 * not be closed, must lead, and with leader election must still hold the Lease by what it last saw.
 *
 * <p>The elector reports the loss of leadership on its callback thread, after the request that
 * showed it; a renewal that silently stalls is no event at all. This fence learns from the Lease
 * requests themselves, through {@link #wrap(LeaseStore)}:
 *
 * <ul>
 *   <li>a read showing another holder (or none) closes it at once;
 *   <li>it stays open for at most the renew deadline after the last successful renewal was
 *       <em>sent</em>. Other candidates count the lease duration from when they observe that
 *       renewal, which is later, so this instance stops writing at least {@code leaseDuration -
 *       renewDeadline} before anyone may take over, even if its renewals silently stall.
 * </ul>
 *
 * <p>That is all the fencing a client can do without server-side fencing tokens: a write already on
 * the wire when the fence closes is still applied, and a process paused between the check and the
 * send (a long GC pause) can write late. Every write is conditional (resourceVersion or uid), so
 * such a late write at worst loses against a newer one.
 *
 * <p>{@link #mayWrite()} costs a few volatile reads and one {@code nanoTime} call. Thread-safe.
 */
final class WriteFence {

  private final boolean elected;
  private final String identity;
  private final long renewDeadlineNanos;
  private final LongSupplier nanoTime;
  private final Runnable onChange;

  private volatile boolean closed;
  private volatile boolean leading;
  private volatile boolean held;
  private volatile long renewedAt;

  private WriteFence(
      boolean elected,
      String identity,
      Duration renewDeadline,
      LongSupplier nanoTime,
      Runnable onChange) {
    this.elected = elected;
    this.identity = identity;
    this.renewDeadlineNanos = renewDeadline.toNanos();
    this.nanoTime = nanoTime;
    this.onChange = onChange;
  }

  /** A fence without leader election: open while leading and not closed. */
  static WriteFence unelected() {
    return new WriteFence(false, null, Duration.ZERO, System::nanoTime, () -> {});
  }

  /**
   * A fence for leader election as {@code identity}.
   *
   * @param onChange called (on the thread of the Lease request) whenever the Lease observations
   *     close the fence or open it again; it must be quick
   */
  static WriteFence elected(
      String identity, Duration renewDeadline, LongSupplier nanoTime, Runnable onChange) {
    return new WriteFence(
        true,
        Objects.requireNonNull(identity, "identity"),
        Objects.requireNonNull(renewDeadline, "renewDeadline"),
        Objects.requireNonNull(nanoTime, "nanoTime"),
        Objects.requireNonNull(onChange, "onChange"));
  }

  /** Whether a write may be sent now. */
  boolean mayWrite() {
    if (closed || !leading) {
      return false;
    }
    return !elected || (held && nanoTime.getAsLong() - renewedAt <= renewDeadlineNanos);
  }

  /**
   * Throws unless a write may be sent now; call it after waiting for the rate limiter, right before
   * the request.
   */
  void check() throws NotLeaderException {
    if (!mayWrite()) {
      throw new NotLeaderException(reason());
    }
  }

  /**
   * Whether this instance leads by the elector's callbacks and the Lease observations, ignoring the
   * renew deadline (which passes without any event); what listeners are told.
   */
  boolean leads() {
    return !closed && leading && (!elected || held);
  }

  /** The elector made this instance leader (or, without election, the sync became ready). */
  void lead() {
    leading = true;
  }

  /** The elector gave leadership up. */
  void stopLeading() {
    leading = false;
  }

  /** The sync is closing: no write from now on. */
  void close() {
    closed = true;
  }

  /**
   * Wraps the store an elector uses so that this fence learns of every renewal and of every read
   * that shows another holder.
   */
  LeaseStore wrap(LeaseStore store) {
    if (!elected) {
      throw new IllegalStateException("a fence without leader election wraps no Lease");
    }
    if (!identity.equals(store.identity())) {
      throw new IllegalArgumentException(
          "the Lease store's identity " + store.identity() + " is not the fence's " + identity);
    }
    return new FencedStore(store);
  }

  private String reason() {
    if (closed) {
      return "the sync is closed";
    }
    if (!leading) {
      return "this instance does not lead";
    }
    if (!held) {
      return "the Lease is held by another identity";
    }
    return "the Lease was not renewed within the renew deadline";
  }

  private void renewed(long sentAt) {
    boolean wasOpen = held && sentAt - renewedAt <= renewDeadlineNanos;
    renewedAt = sentAt;
    held = true;
    if (!wasOpen) {
      onChange.run();
    }
  }

  private void lost() {
    if (held) {
      held = false;
      onChange.run();
    }
  }

  /** Records what the Lease requests of one elector show; all calls come from its lease thread. */
  private final class FencedStore implements LeaseStore {
    private final LeaseStore delegate;

    FencedStore(LeaseStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public LeaseRecord get() throws ApiException {
      LeaseRecord record = delegate.get();
      if (record == null || !identity.equals(record.holder())) {
        lost();
      }
      return record;
    }

    @Override
    public boolean create(LeaseRecord record) {
      return send(record, delegate::create);
    }

    @Override
    public boolean update(LeaseRecord record) {
      return send(record, delegate::update);
    }

    private boolean send(LeaseRecord record, Predicate<LeaseRecord> request) {
      boolean ours = identity.equals(record.holder());
      if (!ours) {
        lost(); // giving the Lease up (close): stop writing before the release is sent
      }
      long sentAt = nanoTime.getAsLong();
      boolean ok = request.test(record);
      if (ok && ours) {
        renewed(sentAt);
      }
      return ok;
    }

    @Override
    public String identity() {
      return delegate.identity();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }
}
