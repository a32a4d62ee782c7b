package io.acrcredential.k8s;

import java.time.Duration;
import java.time.OffsetDateTime;

/**
 * What a Lease says about its holder: the spec fields leader election reads and writes.
 *
 * @param holder the identity holding it; null or empty when free
 * @param leaseDuration how long other candidates wait, from when they see a renewal, before taking
 *     it
 * @param acquired when the current holder took it
 * @param renewed when the current holder last renewed it
 * @param transitions how often it changed hands
 */
record LeaseRecord(
    String holder,
    Duration leaseDuration,
    OffsetDateTime acquired,
    OffsetDateTime renewed,
    int transitions) {

  /** Whether someone holds it. */
  boolean held() {
    return holder != null && !holder.isEmpty();
  }
}
