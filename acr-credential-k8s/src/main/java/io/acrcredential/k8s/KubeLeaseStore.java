package io.acrcredential.k8s;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Lease;
import io.kubernetes.client.openapi.models.V1LeaseSpec;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code coordination.k8s.io/v1} Lease through client-java's {@link CoordinationV1Api}. An update
 * replaces the Lease with the resourceVersion last read or written, so it fails with a conflict
 * when anyone else wrote in between. Not thread-safe: one elector thread uses it.
 */
final class KubeLeaseStore implements LeaseStore {

  private static final Logger LOG = LoggerFactory.getLogger(KubeLeaseStore.class);

  private final CoordinationV1Api api;
  private final String namespace;
  private final String name;
  private final String identity;
  private V1Lease last;

  KubeLeaseStore(ApiClient client, String namespace, String name, String identity) {
    this.api = new CoordinationV1Api(client);
    this.namespace = namespace;
    this.name = name;
    this.identity = identity;
  }

  @Override
  public LeaseRecord get() throws ApiException {
    try {
      last = api.readNamespacedLease(name, namespace).execute();
    } catch (ApiException e) {
      last = null;
      if (e.getCode() == 404) {
        return null;
      }
      throw e;
    }
    return toRecord(last.getSpec());
  }

  @Override
  public boolean create(LeaseRecord record) {
    V1Lease lease =
        new V1Lease()
            .metadata(new V1ObjectMeta().namespace(namespace).name(name))
            .spec(toSpec(record));
    try {
      last = api.createNamespacedLease(namespace, lease).execute();
      return true;
    } catch (ApiException e) {
      failed("create", e);
      return false;
    }
  }

  @Override
  public boolean update(LeaseRecord record) {
    V1Lease base = last;
    if (base == null) {
      return false; // nothing read to replace
    }
    V1Lease lease = new V1Lease().metadata(base.getMetadata()).spec(toSpec(record));
    try {
      last = api.replaceNamespacedLease(name, namespace, lease).execute();
      return true;
    } catch (ApiException e) {
      failed("update", e);
      return false;
    }
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public String describe() {
    return namespace + "/" + name;
  }

  private void failed(String what, ApiException e) {
    // 409: someone else wrote it first, the normal outcome of a race for the Lease
    if (e.getCode() == 409) {
      LOG.debug("Lease {}: {} lost a race (HTTP 409)", describe(), what);
    } else {
      LOG.debug("Lease {}: {} failed: HTTP {} {}", describe(), what, e.getCode(), e.getMessage());
    }
  }

  static LeaseRecord toRecord(V1LeaseSpec spec) {
    if (spec == null) {
      return new LeaseRecord(null, Duration.ZERO, null, null, 0);
    }
    Integer seconds = spec.getLeaseDurationSeconds();
    Integer transitions = spec.getLeaseTransitions();
    return new LeaseRecord(
        spec.getHolderIdentity(),
        Duration.ofSeconds(seconds == null ? 0 : seconds),
        spec.getAcquireTime(),
        spec.getRenewTime(),
        transitions == null ? 0 : transitions);
  }

  static V1LeaseSpec toSpec(LeaseRecord r) {
    return new V1LeaseSpec()
        .holderIdentity(r.holder())
        .leaseDurationSeconds((int) Math.max(1, r.leaseDuration().toSeconds()))
        .acquireTime(r.acquired())
        .renewTime(r.renewed())
        .leaseTransitions(r.transitions());
  }
}
