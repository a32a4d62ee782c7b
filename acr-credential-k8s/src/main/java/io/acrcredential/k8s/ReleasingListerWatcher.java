package io.acrcredential.k8s;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.informer.ListerWatcher;
import io.kubernetes.client.informer.TransformFunc;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.util.CallGenerator;
import io.kubernetes.client.util.CallGeneratorParams;
import io.kubernetes.client.util.Watch;
import io.kubernetes.client.util.Watchable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Call;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The list and watch of one informer, as client-java's factory makes them from a call generator,
 * except that the list's items are released once the informer has taken them.
 *
 * <p>client-java's reflector keeps the list it fetched in a local variable of the method that then
 * watches for as long as the watch lasts: every object of the last full list (as decoded, before
 * any transform that builds a new object, and every version later replaced) would stay reachable
 * beside the cache. The reflector asks for the watch right after handing the items to its queue, so
 * {@link #watch} empties the list then.
 *
 * <p>The list is also decoded one item at a time, each item trimmed ({@link CacheTrim#forType}) as
 * soon as it is decoded. client-java would read the whole answer into one string, parse all of it
 * into a JSON tree, then build every object in full (with {@code managedFields}) from that tree,
 * and the informer trims them only later, one by one from its queue: at 10,000 namespaces the
 * ServiceAccount list alone held about 45 MiB of the heap at once, the start-up peak of the
 * process. Decoded here, the answer is read as a stream and only one untrimmed item exists at a
 * time. The informer's own transform then finds the item trimmed already (each trim is idempotent).
 */
final class ReleasingListerWatcher<T extends KubernetesObject, L extends KubernetesListObject>
    implements ListerWatcher<T, L> {

  private final ApiClient client;
  private final CallGenerator calls;
  private final Class<T> type;
  private final Class<L> listType;
  private final ListGate gate;
  private final TransformFunc trim;
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
    this.trim = CacheTrim.forType(type);
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
      L list = decode(calls.generate(params));
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

  /**
   * Runs the list call and decodes its answer item by item, each trimmed at once; an answer that is
   * not a success becomes the same {@link ApiException} as client-java's.
   */
  L decode(Call call) throws ApiException {
    try (Response response = call.execute()) {
      ResponseBody body = response.body();
      if (!response.isSuccessful() || body == null) {
        return client.handleResponse(response, listType); // throws the ApiException
      }
      Gson gson = JSON.getGson();
      TypeAdapter<T> items = gson.getAdapter(type);
      JsonObject envelope = new JsonObject();
      List<T> decoded = new ArrayList<>();
      JsonReader reader = new JsonReader(body.charStream());
      reader.beginObject();
      while (reader.hasNext()) {
        String name = reader.nextName();
        if (name.equals("items") && reader.peek() == JsonToken.BEGIN_ARRAY) {
          reader.beginArray();
          while (reader.hasNext()) {
            decoded.add(trimmed(items.read(reader)));
          }
          reader.endArray();
        } else {
          envelope.add(name, gson.fromJson(reader, JsonElement.class));
        }
      }
      reader.endObject();
      envelope.add("items", new JsonArray()); // required by the list type's own validation
      L list = gson.getAdapter(listType).fromJsonTree(envelope);
      @SuppressWarnings("unchecked")
      List<T> target = (List<T>) list.getItems();
      target.addAll(decoded);
      return list;
    } catch (IOException e) {
      throw new ApiException(e);
    } catch (JsonParseException | IllegalStateException e) {
      throw new ApiException("cannot decode the " + type.getSimpleName() + " list: " + e);
    }
  }

  @SuppressWarnings("unchecked")
  private T trimmed(T item) {
    return trim == null || item == null ? item : (T) trim.transform(item);
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
