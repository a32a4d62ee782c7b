package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The elector's decisions, one {@link LeaseElector#step()} at a time, on a fake clock. */
class LeaseElectorTest {

  private static final long MS = 1_000_000L;
  private static final Duration LEASE = Duration.ofSeconds(8);
  private static final Duration RENEW = Duration.ofSeconds(5);
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final OffsetDateTime START =
      OffsetDateTime.of(2026, 12, 5, 1, 0, 0, 0, ZoneOffset.UTC);

  private final AtomicLong nanos = new AtomicLong(-3_000 * MS); // nanoTime may be negative
  private final Lease lease = new Lease();
  private final List<String> events = new ArrayList<>();
  private double random = 0.5;

  /** The Lease on the "API server": a record and a version that every write changes. */
  private static final class Lease {
    LeaseRecord record;
    long version;
    int writes;

    void write(LeaseRecord r) {
      record = r;
      version++;
      writes++;
    }
  }

  /** One candidate's view: an update succeeds only if nobody wrote since this candidate read. */
  private final class Store implements LeaseStore {
    final String identity;
    long readVersion = -1;
    boolean down;

    Store(String identity) {
      this.identity = identity;
    }

    @Override
    public LeaseRecord get() throws ApiException {
      if (down) {
        throw new ApiException(503, "unavailable");
      }
      readVersion = lease.version;
      return lease.record;
    }

    @Override
    public boolean create(LeaseRecord record) {
      if (down || lease.record != null) {
        return false;
      }
      lease.write(record);
      readVersion = lease.version;
      return true;
    }

    @Override
    public boolean update(LeaseRecord record) {
      if (down || readVersion != lease.version) {
        return false;
      }
      lease.write(record);
      readVersion = lease.version;
      return true;
    }

    @Override
    public String identity() {
      return identity;
    }

    @Override
    public String describe() {
      return "ns/lease";
    }
  }

  private LeaseElector elector(Store store) {
    String id = store.identity;
    return new LeaseElector(
        store,
        LEASE,
        RENEW,
        RETRY,
        nanos::get,
        () -> START.plusNanos(nanos.get()), // renewals change the record, as on a real server
        () -> random,
        () -> events.add(id + " leads"),
        () -> events.add(id + " stops"));
  }

  private void advance(long ms) {
    nanos.addAndGet(ms * MS);
  }

  @Test
  void aMissingLeaseIsCreatedAndRenewedEveryRetryPeriod() {
    LeaseElector a = elector(new Store("a"));
    assertThat(a.step()).isEqualTo(RETRY.toNanos());
    assertThat(events).containsExactly("a leads");
    assertThat(lease.record.holder()).isEqualTo("a");
    assertThat(lease.record.leaseDuration()).isEqualTo(LEASE);
    assertThat(lease.record.transitions()).isZero();
    OffsetDateTime acquired = lease.record.acquired();
    for (int i = 0; i < 3; i++) {
      advance(1000);
      assertThat(a.step()).isEqualTo(RETRY.toNanos());
    }
    assertThat(lease.writes).isEqualTo(4);
    assertThat(lease.record.acquired()).isEqualTo(acquired);
    assertThat(lease.record.transitions()).isZero();
    assertThat(events).containsExactly("a leads");
  }

  @Test
  void aStandbyPollsWithJitterAndTakesOverOnlyAfterTheLeaseDurationWithoutChange() {
    LeaseElector a = elector(new Store("a"));
    LeaseElector b = elector(new Store("b"));
    a.step();
    random = 0;
    assertThat(b.step()).isEqualTo(RETRY.toNanos());
    random = 1;
    assertThat(b.step()).isEqualTo(RETRY.toNanos() * 12 / 10);
    assertThat(b.leading()).isFalse();
    // a dies; b saw its last renewal now
    advance(LEASE.toMillis() - 1);
    b.step();
    assertThat(b.leading()).as("the lease duration has not run out").isFalse();
    advance(1);
    b.step();
    assertThat(b.leading()).isTrue();
    assertThat(lease.record.holder()).isEqualTo("b");
    assertThat(lease.record.transitions()).isEqualTo(1);
    assertThat(events).containsExactly("a leads", "b leads");
  }

  @Test
  void theLeaseDurationCountsFromTheLastChangeTheStandbySaw() {
    LeaseElector a = elector(new Store("a"));
    LeaseElector b = elector(new Store("b"));
    a.step();
    b.step();
    for (int i = 0; i < 20; i++) { // a renews every second for 20 s; b keeps reading
      advance(1000);
      a.step();
      b.step();
      assertThat(b.leading()).isFalse();
    }
    assertThat(events).containsExactly("a leads");
  }

  @Test
  void aLeaderStopsAtOnceWhenAReadShowsAnotherHolder() {
    LeaseElector a = elector(new Store("a"));
    a.step();
    lease.write(
        new LeaseRecord("usurper", LEASE, lease.record.acquired(), lease.record.renewed(), 1));
    advance(1000);
    a.step();
    assertThat(a.leading()).isFalse();
    assertThat(events).containsExactly("a leads", "a stops");
    assertThat(lease.record.holder()).isEqualTo("usurper");
    // the usurper frees it: a takes it back at its next read
    lease.write(new LeaseRecord(null, LEASE, null, null, 1));
    advance(1000);
    a.step();
    assertThat(events).containsExactly("a leads", "a stops", "a leads");
    assertThat(lease.record.transitions()).isEqualTo(2);
  }

  @Test
  void aLeaderWhoseRenewalsFailStopsRightAtTheRenewDeadline() {
    Store store = new Store("a");
    LeaseElector a = elector(store);
    a.step();
    store.down = true;
    long renewedAt = nanos.get();
    long waited = 0;
    while (a.leading()) {
      assertThat(waited).isLessThanOrEqualTo(RENEW.toNanos() + 1);
      long wait = a.step();
      if (a.leading()) {
        assertThat(wait)
            .as("a leader retries within the retry period")
            .isLessThanOrEqualTo(RETRY.toNanos());
        nanos.addAndGet(wait);
        waited = nanos.get() - renewedAt;
      }
    }
    assertThat(nanos.get() - renewedAt)
        .as("stopped within one nanosecond after the renew deadline")
        .isBetween(RENEW.toNanos(), RENEW.toNanos() + 1);
    assertThat(events).containsExactly("a leads", "a stops");
  }

  @Test
  void aRenewalThatLosesARaceIsRetriedWithinTheDeadline() {
    Store store = new Store("a");
    LeaseElector a = elector(store);
    a.step();
    store.readVersion = -1; // as if someone wrote between a's read and its update
    lease.version++; // (the record itself is still a's)
    store.down = true;
    advance(1000);
    a.step();
    store.down = false;
    advance(1000);
    a.step();
    assertThat(a.leading()).isTrue();
    assertThat(events).containsExactly("a leads");
  }

  @Test
  void closeGivesAHeldLeaseUpSoAStandbyTakesItAtItsNextRead() {
    LeaseElector a = elector(new Store("a"));
    LeaseElector b = elector(new Store("b"));
    a.step();
    b.step();
    a.close();
    assertThat(lease.record.held()).isFalse();
    assertThat(events).containsExactly("a leads", "a stops");
    advance(1000);
    b.step();
    assertThat(b.leading()).isTrue();
  }

  @Test
  void closeLeavesALeaseHeldBySomeoneElseAlone() {
    LeaseElector a = elector(new Store("a"));
    LeaseElector b = elector(new Store("b"));
    a.step();
    b.step();
    int writes = lease.writes;
    b.close();
    assertThat(lease.writes).isEqualTo(writes);
    assertThat(lease.record.holder()).isEqualTo("a");
  }

  @Test
  void aCandidateWithTheHoldersIdentityTakesItsLeaseBackAtOnce() {
    elector(new Store("a")).step(); // a process that died without releasing
    LeaseElector again = elector(new Store("a"));
    again.step();
    assertThat(again.leading()).isTrue();
    assertThat(lease.record.transitions()).isZero();
  }

  @Test
  void timingsMustLeaveRoomForRenewals() {
    assertThatThrownBy(
            () ->
                new LeaseElector(
                    new Store("a"),
                    RENEW,
                    LEASE,
                    RETRY,
                    nanos::get,
                    OffsetDateTime::now,
                    () -> 0,
                    () -> {},
                    () -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseDuration > renewDeadline > retryPeriod");
  }
}
