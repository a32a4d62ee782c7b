package io.acrcredential.testing;

import java.time.Clock;
import java.util.Objects;

/**
 * Starts {@link FakeAcr}, {@link FakeSts} and {@link FakeEcsMetadata} together, sharing one {@link
 * FakeIdentities} store and one clock, so that credentials from STS or the metadata service work
 * against the ACR fake. Closing it stops all three.
 *
 * <pre>{@code
 * try (FakeAlibabaCloud cloud = FakeAlibabaCloud.start()) {
 *   cloud.identities().addAccessKey("LTAIexample", "secret");
 *   cloud.acr().addInstance(AcrInstance.of("cri-abc", "myco", "cn-hangzhou"));
 *   String acrEndpoint = cloud.acr().endpoint();      // "127.0.0.1:<port>"
 *   String stsEndpoint = cloud.sts().endpoint();
 *   String metadataHost = cloud.metadata().endpoint();
 * }
 * }</pre>
 */
public final class FakeAlibabaCloud implements AutoCloseable {
  private final FakeIdentities identities;
  private final Clock clock;
  private final FakeAcr acr;
  private final FakeSts sts;
  private final FakeEcsMetadata metadata;

  private FakeAlibabaCloud(Clock clock) {
    this.identities = new FakeIdentities();
    this.clock = Objects.requireNonNull(clock, "clock");
    FakeAcr startedAcr = null;
    FakeSts startedSts = null;
    try {
      startedAcr = FakeAcr.start(identities, clock);
      startedSts = FakeSts.start(identities, clock);
      this.metadata = FakeEcsMetadata.start(identities, clock);
    } catch (RuntimeException e) {
      if (startedSts != null) {
        startedSts.close();
      }
      if (startedAcr != null) {
        startedAcr.close();
      }
      throw e;
    }
    this.acr = startedAcr;
    this.sts = startedSts;
  }

  /**
   * Starts all three fakes with the system clock.
   *
   * @return the running fakes; close when done
   */
  public static FakeAlibabaCloud start() {
    return new FakeAlibabaCloud(Clock.systemUTC());
  }

  /**
   * Starts all three fakes with the given clock (e.g. a {@link FakeClock}).
   *
   * @param clock the clock shared by the fakes
   * @return the running fakes; close when done
   */
  public static FakeAlibabaCloud start(Clock clock) {
    return new FakeAlibabaCloud(clock);
  }

  /**
   * The identity store shared by the fakes.
   *
   * @return the store
   */
  public FakeIdentities identities() {
    return identities;
  }

  /**
   * The clock shared by the fakes.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * The Container Registry fake.
   *
   * @return the fake
   */
  public FakeAcr acr() {
    return acr;
  }

  /**
   * The STS fake.
   *
   * @return the fake
   */
  public FakeSts sts() {
    return sts;
  }

  /**
   * The ECS metadata fake.
   *
   * @return the fake
   */
  public FakeEcsMetadata metadata() {
    return metadata;
  }

  /** Removes injected failures and resets call counts on all three fakes. */
  public void reset() {
    for (FakeService s : new FakeService[] {acr, sts, metadata}) {
      s.clearFailures();
      s.resetCalls();
    }
  }

  /** Stops all three fakes. */
  @Override
  public void close() {
    metadata.close();
    sts.close();
    acr.close();
  }

  @Override
  public String toString() {
    return "FakeAlibabaCloud[acr="
        + acr.endpoint()
        + ", sts="
        + sts.endpoint()
        + ", metadata="
        + metadata.endpoint()
        + "]";
  }
}
