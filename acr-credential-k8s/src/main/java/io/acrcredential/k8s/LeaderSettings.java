package io.acrcredential.k8s;

import java.time.Duration;

/** Where the Lease lives, who this replica is, and the election timings. */
record LeaderSettings(
    String namespace,
    String name,
    String identity,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod) {

  LeaderSettings withTimings(Duration lease, Duration renew, Duration retry) {
    return new LeaderSettings(namespace, name, identity, lease, renew, retry);
  }
}
