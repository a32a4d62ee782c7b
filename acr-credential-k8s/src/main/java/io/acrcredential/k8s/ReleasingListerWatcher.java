package io.acrcredential.k8s;

import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.util.CallGenerator;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watch;
import io.kubernetes.client.util.Watchable;
import java.util.List;

/**
 * The list and watch of one informer, as client-java's factory makes them from a call generator,
 * except that the list's items are released once the informer has taken them.
 *
 * <p>client-java's reflector keeps the list it fetched in a local variable of the method that then
 * watches for as long as the watch lasts: every object of the last full list (as decoded, before
 * any transform that builds a new object, and every version later replaced) would stay reachable
 * beside the cache. The reflector asks for the watch right after handing the items to its queue, so
 * {@link #watch} empties the list then.
 */
final class ReleasingListerWatcher<T extends KubernetesObject, L extends KubernetesListObject>
    implements ListerWatcher<T, L> {

  private final ApiClient client;
  private final CallGenerator calls;
  private final Class<T> type;
  private final Class<L> listType;
  private final ListGate gate;
  private volatile L lastList;

  /**
   * @param client executes the calls and decodes the answers (the informer's client, read timeout
   *     infinite)
   * @param calls builds the list and watch calls
   * @param type the object type
   * @param listType the list type
   * @param gate lets one list of the sync at a time go ahead
   */
  ReleasingListerWatcher(
      ApiClient client, CallGenerator calls, Class<T> type, Class<L> listType, ListGate gate) {
    this.client = client;
    this.calls = calls;
    this.type = type;
    this.listType = listType;
    this.gate = gate;
  }

  @Override
  public L list(CallGeneratorParams params) throws ApiException {
    try {
      gate.enter(this);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException("interrupted while waiting for another informer's list");
    }
    try {
      L list = client.<L>execute(calls.generate(params), listType).getData();
      lastList = list;
      return list; // the gate is held until the watch: the items are handed over by then
    } catch (ApiException | RuntimeException e) {
      gate.leave(this);
      throw e;
    }
  }

  @Override
  public Watchable<T> watch(CallGeneratorParams params) throws ApiException {
    release();
    gate.leave(this);
    return Watch.createWatch(
        client,
        calls.generate(params),
        TypeToken.getParameterized(Watch.Response.class, type).getType());
  }

  /** Empties the last list: its items are in the informer's queue or cache by now. */
  void release() {
    L list = lastList;
    lastList = null;
    if (list != null) {
      List<?> items = list.getItems();
      if (items != null) {
        try {
          items.clear();
        } catch (UnsupportedOperationException e) {
          // an immutable list: nothing to gain
        }
      }
    }
  }
}
