package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiException;

/**
 * Reads and writes one Lease for one candidate. All calls come from the elector's single lease
 * thread; an update is conditional on the Lease being unchanged since the last read or write.
 */
interface LeaseStore {

  /** The Lease as it is now, or null when it does not exist. */
  LeaseRecord get() throws ApiException;

  /** Creates the Lease; false when it could not (it exists already, or the request failed). */
  boolean create(LeaseRecord record);

  /** Replaces what the last read showed; false on a conflict or a failed request. */
  boolean update(LeaseRecord record);

  /** The candidate this store writes for. */
  String identity();

  /** The Lease, as {@code namespace/name}, for log lines. */
  String describe();
}
