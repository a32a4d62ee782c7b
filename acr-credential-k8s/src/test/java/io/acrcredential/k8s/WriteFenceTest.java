package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WriteFenceTest {

  private static final long SECOND = 1_000_000_000L;
  private static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);

  private final AtomicLong nanos = new AtomicLong(-7 * SECOND); // nanoTime may be negative
  private final AtomicInteger changes = new AtomicInteger();
  private final WriteFence fence =
      WriteFence.elected("me", RENEW_DEADLINE, nanos::get, changes::incrementAndGet);
  private final FakeLease lease = new FakeLease("me");
  private final LeaseStore lock = fence.wrap(lease);

  /** An in-memory Lease; an update can take time (it moves the fake clock) or be refused. */
  private static final class FakeLease implements LeaseStore {
    final String identity;
    String holder;
    long updateTakes;
    boolean refuse;
    Runnable duringUpdate = () -> {};
    AtomicLong clock;

    FakeLease(String identity) {
      this.identity = identity;
    }

    @Override
    public LeaseRecord get() {
      return new LeaseRecord(
          holder, Duration.ofSeconds(15), OffsetDateTime.now(), OffsetDateTime.now(), 0);
    }

    @Override
    public boolean create(LeaseRecord record) {
      return update(record);
    }

    @Override
    public boolean update(LeaseRecord record) {
      duringUpdate.run();
      if (clock != null) {
        clock.addAndGet(updateTakes);
      }
      if (refuse) {
        return false;
      }
      holder = record.holder();
      return true;
    }

    @Override
    public String identity() {
      return identity;
    }

    @Override
    public String describe() {
      return "test/lease";
    }
  }

  private static LeaseRecord record(String holder) {
    return new LeaseRecord(
        holder, Duration.ofSeconds(15), OffsetDateTime.now(), OffsetDateTime.now(), 0);
  }

  private void renew() {
    assertThat(lock.update(record("me"))).isTrue();
  }

  @Test
  void withoutElectionItIsOpenWhileLeadingAndNotClosed() throws Exception {
    WriteFence plain = WriteFence.unelected();
    assertThat(plain.mayWrite()).isFalse();
    plain.lead();
    assertThat(plain.mayWrite()).isTrue();
    plain.check();
    plain.close();
    assertThat(plain.mayWrite()).isFalse();
    assertThatThrownBy(plain::check)
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> plain.wrap(lease)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void electedItNeedsTheElectorAndARenewal() {
    fence.lead();
    assertThat(fence.mayWrite()).as("elector says lead, no renewal seen").isFalse();
    renew();
    assertThat(fence.mayWrite()).isTrue();
    assertThat(fence.leads()).isTrue();
    fence.stopLeading();
    assertThat(fence.mayWrite()).isFalse();
    assertThat(fence.leads()).isFalse();
  }

  @Test
  void aReadShowingAnotherHolderClosesItAtOnce() throws Exception {
    fence.lead();
    renew();
    assertThat(changes).hasValue(1);
    lease.holder = "usurper";
    lock.get();
    assertThat(fence.mayWrite()).isFalse();
    assertThat(fence.leads()).isFalse();
    assertThat(changes).hasValue(2);
    assertThatThrownBy(fence::check)
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("held by another identity");
    lock.get(); // seeing it again changes nothing
    assertThat(changes).hasValue(2);
  }

  @Test
  void aReadShowingNoHolderClosesItToo() throws Exception {
    fence.lead();
    renew();
    lease.holder = null;
    lock.get();
    assertThat(fence.mayWrite()).isFalse();
  }

  @Test
  void aReadShowingThisInstanceKeepsItOpenButDoesNotExtendIt() throws Exception {
    fence.lead();
    renew();
    nanos.addAndGet(9 * SECOND);
    lock.get();
    assertThat(fence.mayWrite()).isTrue();
    nanos.addAndGet(2 * SECOND);
    assertThat(fence.mayWrite()).as("a read is no renewal").isFalse();
  }

  @Test
  void theRenewDeadlineCountsFromWhenTheRenewalWasSent() {
    fence.lead();
    lease.clock = nanos;
    lease.updateTakes = 3 * SECOND; // a slow renewal
    long sentAt = nanos.get();
    renew();
    nanos.set(sentAt + RENEW_DEADLINE.toNanos());
    assertThat(fence.mayWrite()).isTrue();
    nanos.incrementAndGet();
    assertThat(fence.mayWrite()).isFalse();
    assertThatThrownBy(fence::check)
        .isInstanceOf(NotLeaderException.class)
        .hasMessageContaining("renew deadline");
  }

  @Test
  void aFailedRenewalExtendsNothing() {
    fence.lead();
    renew();
    nanos.addAndGet(8 * SECOND);
    lease.refuse = true;
    assertThat(lock.update(record("me"))).isFalse();
    nanos.addAndGet(3 * SECOND);
    assertThat(fence.mayWrite()).isFalse();
  }

  @Test
  void aRenewalAfterTheDeadlineOpensItAgainAndReportsIt() {
    fence.lead();
    renew();
    nanos.addAndGet(4 * SECOND);
    renew(); // in time: no change to report
    assertThat(changes).hasValue(1);
    nanos.addAndGet(11 * SECOND);
    assertThat(fence.mayWrite()).isFalse();
    renew();
    assertThat(fence.mayWrite()).isTrue();
    assertThat(changes).hasValue(2);
  }

  @Test
  void releasingTheLeaseClosesItBeforeTheReleaseIsSent() {
    fence.lead();
    renew();
    List<Boolean> openDuringRelease = new ArrayList<>();
    lease.duringUpdate = () -> openDuringRelease.add(fence.mayWrite());
    assertThat(lock.update(new LeaseRecord(null, Duration.ofSeconds(1), null, null, 0))).isTrue();
    assertThat(openDuringRelease).containsExactly(false);
    assertThat(fence.mayWrite()).isFalse();
  }

  @Test
  void closeWinsOverEverything() {
    fence.lead();
    renew();
    fence.close();
    assertThat(fence.mayWrite()).isFalse();
    assertThat(fence.leads()).isFalse();
    assertThatThrownBy(fence::check).hasMessageContaining("closed");
  }

  @Test
  void aLockOfAnotherIdentityIsRefused() {
    assertThatThrownBy(() -> fence.wrap(new FakeLease("someone-else")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("someone-else");
  }
}
