package io.acrcredential.k8s;

import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.ServiceAccountScope;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import io.kubernetes.client.openapi.models.V1Namespace;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V1Preconditions;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import okhttp3.Call;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one namespace to the desired state: pull Secrets present with the current bytes, stale
 * ones of this instance deleted, ServiceAccounts listing exactly the wanted entries this instance
 * owns.
 *
 * <p>Reads go to the informer caches first; only when a cached object differs from the wanted state
 * is the live object read, so a namespace in steady state costs no request at all. Every write is
 * conditional (resourceVersion or uid precondition) and passes the write limiter and then the
 * {@link WriteFence}: once this instance no longer leads, the next write is not sent and the
 * namespace is abandoned half-done for the new leader to finish.
 */
final class NamespaceReconciler {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceReconciler.class);
  static final String SECRET_TYPE = "kubernetes.io/dockerconfigjson";
  static final String DATA_KEY = ".dockerconfigjson";
  private static final int SERVICE_ACCOUNT_ATTEMPTS = 5;

  private final CoreV1Api api;
  private final JSON json;
  private final Markers markers;
  private final SecretCache secrets;
  private final ServiceAccountSource serviceAccounts;
  private final WriteLimiter limiter;
  private final WriteFence fence;
  private final WarningEvents events;
  private final Consumer<SecretClash> clashListener;
  private final Set<String> reportedClashes = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * ns/name of Secrets this reconciler wrote whose write the cache has not shown yet: the
   * resourceVersion the write replaced (null for a create), what was written and when. A namespace
   * reconciled again before its informer caught up would otherwise send a conditional write bound
   * to fail with 409; the informer's event for the write enqueues the namespace once more. Any
   * event of the cache for that Secret ends the entry ({@link #cacheMoved}), as does a new cache
   * for its name ({@link #cacheRestarted}) and age ({@link #UNSEEN_FOR_AT_MOST}): otherwise a
   * Secret deleted before the cache showed the write would look like the lag and never be written
   * again.
   */
  private final Map<String, Written> unseenWrites = new java.util.concurrent.ConcurrentHashMap<>();

  private record Written(String replacedVersion, DesiredSecret desired, long atNanos) {}

  /** How long a write the cache has not shown is taken for the cache's lag. */
  static final Duration UNSEEN_FOR_AT_MOST = Duration.ofSeconds(30);

  /** ns/name of Secrets last seen held by someone else: checked with a read, not a create. */
  private final Set<String> knownClashes = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final LongSupplier nanos;

  NamespaceReconciler(
      ApiClient client,
      Markers markers,
      SecretCache secrets,
      ServiceAccountSource serviceAccounts,
      WriteLimiter limiter,
      WriteFence fence,
      WarningEvents events,
      Consumer<SecretClash> clashListener,
      LongSupplier nanos) {
    this.api = new CoreV1Api(client);
    this.nanos = nanos;
    this.json = client.getJSON();
    this.markers = markers;
    this.secrets = secrets;
    this.serviceAccounts = serviceAccounts;
    this.limiter = limiter;
    this.fence = fence;
    this.events = events;
    this.clashListener = clashListener;
  }

  private enum Outcome {
    CREATED,
    UPDATED,
    UNCHANGED,
    TAKEN_OVER,
    CLASH
  }

  /**
   * Reconciles a namespace.
   *
   * @return the result, or null when nothing could be decided yet (no credentials known)
   * @throws NotLeaderException when a write was due but this instance no longer leads (writes
   *     before it were sent)
   */
  NamespaceSyncResult reconcile(
      V1Namespace namespace, AcrConfiguration configuration, CredentialSnapshot snapshot)
      throws ApiException, InterruptedException, NotLeaderException {
    V1ObjectMeta meta = namespace.getMetadata();
    String ns = meta.getName();
    if (meta.getDeletionTimestamp() != null) {
      return null; // terminating: its objects go away with it, writes would be refused
    }
    boolean inScope = configuration.namespaces().includes(ns, meta.getLabels());
    if (inScope && snapshot == null) {
      return null;
    }
    Map<String, DesiredSecret> desired = inScope ? snapshot.secrets() : Map.of();
    Set<String> protectedNames = inScope ? snapshot.protectedNames() : Set.of();
    List<String> created = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    List<String> takenOver = new ArrayList<>();
    List<SecretClash> clashes = new ArrayList<>();
    Set<String> usable = new LinkedHashSet<>();

    for (DesiredSecret d : desired.values()) {
      Outcome outcome =
          ensureSecret(ns, d, configuration.takeOverAlibabaSecrets(), deleted, clashes);
      switch (outcome) {
        case CREATED -> created.add(d.name());
        case UPDATED -> updated.add(d.name());
        case TAKEN_OVER -> takenOver.add(d.name());
        default -> {}
      }
      if (outcome != Outcome.CLASH) {
        usable.add(d.name());
      }
    }
    for (String name : protectedNames) {
      V1Secret cached = secrets.get(ns, name);
      if (cached != null && markers.isOurs(cached.getMetadata().getLabels())) {
        usable.add(name);
      }
    }

    boolean mayDelete = !inScope || snapshot.complete();
    if (mayDelete) {
      for (V1Secret s : secrets.list(ns)) {
        String name = s.getMetadata().getName();
        if (!desired.containsKey(name)
            && !protectedNames.contains(name)
            && markers.isOurs(s.getMetadata().getLabels())) {
          if (deleteSecret(ns, name, s.getMetadata().getUid())) {
            deleted.add(name);
          }
        }
      }
    }

    // With patching off nothing is added, but entries this instance added earlier (recorded in
    // its annotation) are removed: turning patching off hands imagePullSecrets back to the user.
    // A ServiceAccount without that annotation is never written.
    List<String> saUpdated = new ArrayList<>();
    ServiceAccountScope saScope = configuration.serviceAccounts();
    List<String> wantedNames = List.copyOf(usable);
    Set<String> adopted = adoptedEntries(ns, usable, takenOver);
    for (V1ServiceAccount sa : serviceAccounts.list(ns)) {
      String name = sa.getMetadata().getName();
      List<String> wanted = inScope && saScope.includes(name) ? wantedNames : List.of();
      if (updateServiceAccount(sa, wanted, adopted)) {
        saUpdated.add(name);
      }
    }
    return new NamespaceSyncResult(
        ns, inScope, created, updated, deleted, saUpdated, takenOver, clashes);
  }

  /**
   * The pull Secret names whose existing ServiceAccount entries count as this instance's although
   * its annotation does not record them: those of Secrets taken over from Alibaba's helper (now, or
   * earlier: the Secret's annotation says so), whose entries that helper added.
   */
  private Set<String> adoptedEntries(String ns, Set<String> usable, List<String> takenOver) {
    Set<String> adopted = new LinkedHashSet<>(takenOver);
    for (String name : usable) {
      V1Secret cached = secrets.get(ns, name);
      if (cached != null
          && markers.isOurs(cached.getMetadata().getLabels())
          && cached.getMetadata().getAnnotations() != null
          && Markers.TAKEN_OVER_FROM.equals(
              cached.getMetadata().getAnnotations().get(Markers.TAKEN_OVER_ANNOTATION))) {
        adopted.add(name);
      }
    }
    return adopted;
  }

  /** Whether this reconciler last saw the Secret {@code name} in {@code ns} held by another. */
  boolean knownClash(String ns, String name) {
    return knownClashes.contains(ns + "/" + name);
  }

  private Written written(String replacedVersion, DesiredSecret d) {
    return new Written(replacedVersion, d, nanos.getAsLong());
  }

  /**
   * The cache delivered an event for the Secret {@code name} in {@code ns}: from now on it, not a
   * write it has not shown yet, says what the Secret holds.
   */
  void cacheMoved(String ns, String name) {
    unseenWrites.remove(ns + "/" + name);
  }

  /**
   * A cache for the Secrets named {@code name} was started (or filled) anew: it may have missed
   * what happened to earlier writes, so none of them is taken for its lag.
   */
  void cacheRestarted(String name) {
    String suffix = "/" + name;
    unseenWrites.keySet().removeIf(k -> k.endsWith(suffix));
  }

  /** Drops what is remembered about a namespace that was deleted. */
  void forget(String namespace) {
    String prefix = namespace + "/";
    unseenWrites.keySet().removeIf(k -> k.startsWith(prefix));
    knownClashes.removeIf(k -> k.startsWith(prefix));
  }

  // ---- Secrets ----

  private Outcome ensureSecret(
      String ns, DesiredSecret d, boolean takeOver, List<String> deleted, List<SecretClash> clashes)
      throws ApiException, InterruptedException, NotLeaderException {
    V1Secret cached = secrets.get(ns, d.name());
    String key = ns + "/" + d.name();
    Written unseen = unseenWrites.remove(key);
    if (unseen != null
        && unseen.desired().equals(d)
        && nanos.getAsLong() - unseen.atNanos() < UNSEEN_FOR_AT_MOST.toNanos()
        && Objects.equals(
            unseen.replacedVersion(),
            cached == null ? null : cached.getMetadata().getResourceVersion())) {
      unseenWrites.put(key, unseen); // the cache still shows what our write replaced
      return Outcome.UNCHANGED;
    }
    if (cached != null && markers.isOurs(cached.getMetadata().getLabels()) && upToDate(cached, d)) {
      return Outcome.UNCHANGED;
    }
    // No GET before the write when the cache already says what to do (it halves the requests of
    // a first sync and of a rotation): with nothing cached, create, and the server refuses when
    // any object has the name; with our Secret cached, update conditionally on its cached
    // resourceVersion. Only a refusal (409) costs a read, and then the live object decides.
    V1Secret live;
    if (cached == null && !knownClashes.contains(ns + "/" + d.name())) {
      if (tryCreate(ns, d)) {
        unseenWrites.put(key, written(null, d));
        return Outcome.CREATED;
      }
      live = readSecret(ns, d.name());
    } else if (cached != null
        && markers.isOurs(cached.getMetadata().getLabels())
        && SECRET_TYPE.equals(cached.getType())
        && !Boolean.TRUE.equals(cached.getImmutable())) {
      if (tryReplace(ns, d, cached)) {
        unseenWrites.put(key, written(cached.getMetadata().getResourceVersion(), d));
        return Outcome.UPDATED;
      }
      live = readSecret(ns, d.name());
    } else {
      live = readSecret(ns, d.name());
    }
    if (live == null) {
      createSecret(ns, d);
      knownClashes.remove(ns + "/" + d.name());
      return Outcome.CREATED;
    }
    if (!markers.isOurs(live.getMetadata().getLabels())) {
      String why = AlibabaSecret.whyNot(live, d);
      if (why == null && takeOver) {
        takeOver(ns, live, d);
        knownClashes.remove(key);
        unseenWrites.put(
            key, written(cached == null ? null : cached.getMetadata().getResourceVersion(), d));
        return Outcome.TAKEN_OVER;
      }
      if (why == null) {
        why =
            "it is what Alibaba's helper wrote, but take-over-alibaba-secrets is false in the"
                + " configuration";
      }
      knownClashes.add(key);
      SecretClash clash = new SecretClash(ns, d.name(), why);
      clashes.add(clash);
      reportClash(live, clash);
      return Outcome.CLASH;
    }
    knownClashes.remove(ns + "/" + d.name());
    if (!SECRET_TYPE.equals(live.getType()) || Boolean.TRUE.equals(live.getImmutable())) {
      // type and immutability cannot be changed in place: delete (only this very object) and
      // create
      deleteSecret(ns, d.name(), live.getMetadata().getUid());
      createSecret(ns, d);
      return Outcome.UPDATED;
    }
    if (upToDate(live, d)) {
      return Outcome.UNCHANGED;
    }
    beforeWrite();
    api.replaceNamespacedSecret(d.name(), ns, updated(live, d)).execute();
    unseenWrites.put(
        key, written(cached == null ? null : cached.getMetadata().getResourceVersion(), d));
    return Outcome.UPDATED;
  }

  /** {@code live} with the desired data, labels and annotations; same resourceVersion. */
  private V1Secret updated(V1Secret live, DesiredSecret d) {
    V1Secret body = copy(live, V1Secret.class);
    body.getMetadata().setLabels(merged(body.getMetadata().getLabels(), markers.labels()));
    body.getMetadata().setAnnotations(merged(body.getMetadata().getAnnotations(), annotations(d)));
    body.setData(Map.of(DATA_KEY, d.dockerConfigJson()));
    body.setStringData(null);
    return body;
  }

  /**
   * Rewrites a Secret Alibaba's helper wrote as this instance's: fresh login, its labels and
   * annotations, and the mark that it was taken over. Conditional on the resourceVersion read, so a
   * Secret changed since is not overwritten (409: the namespace is retried and decides again).
   */
  private void takeOver(String ns, V1Secret live, DesiredSecret d)
      throws ApiException, InterruptedException, NotLeaderException {
    V1Secret body = updated(live, d);
    body.getMetadata()
        .setAnnotations(
            merged(
                body.getMetadata().getAnnotations(),
                Map.of(Markers.TAKEN_OVER_ANNOTATION, Markers.TAKEN_OVER_FROM)));
    beforeWrite();
    api.replaceNamespacedSecret(d.name(), ns, body).execute();
    LOG.info(
        "took over Secret {}/{} that Alibaba's aliyun-acr-credential-helper wrote for {}: it now"
            + " holds a fresh login and is managed by acr-credential (instance {}); the"
            + " ServiceAccount entries naming it count as this instance's",
        ns,
        d.name(),
        d.domains().get(0),
        markers.instance());
  }

  /** Creates the Secret; false when the name is taken (409), whoever holds it. */
  private boolean tryCreate(String ns, DesiredSecret d)
      throws ApiException, InterruptedException, NotLeaderException {
    try {
      createSecret(ns, d);
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  /** Updates the cached Secret conditionally; false when it changed since (409). */
  private boolean tryReplace(String ns, DesiredSecret d, V1Secret cached)
      throws ApiException, InterruptedException, NotLeaderException {
    beforeWrite();
    try {
      api.replaceNamespacedSecret(d.name(), ns, updated(cached, d)).execute();
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  boolean upToDate(V1Secret s, DesiredSecret d) {
    return SecretContent.holds(s, d, markers.labels());
  }

  private Map<String, String> annotations(DesiredSecret d) {
    return SecretContent.annotations(d);
  }

  private V1Secret readSecret(String ns, String name) throws ApiException {
    try {
      return api.readNamespacedSecret(name, ns).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  private void createSecret(String ns, DesiredSecret d)
      throws ApiException, InterruptedException, NotLeaderException {
    V1Secret body =
        new V1Secret()
            .apiVersion("v1")
            .kind("Secret")
            .metadata(
                new V1ObjectMeta()
                    .name(d.name())
                    .namespace(ns)
                    .labels(new HashMap<>(markers.labels()))
                    .annotations(new HashMap<>(annotations(d))))
            .type(SECRET_TYPE)
            .data(Map.of(DATA_KEY, d.dockerConfigJson()));
    beforeWrite();
    api.createNamespacedSecret(ns, body).execute();
  }

  /**
   * Deletes a Secret only if it still is the object with {@code uid}. Goes through the raw call
   * because the server answers with the deleted object, not a Status.
   */
  private boolean deleteSecret(String ns, String name, String uid)
      throws ApiException, InterruptedException, NotLeaderException {
    V1DeleteOptions options = new V1DeleteOptions();
    if (uid != null) {
      options.preconditions(new V1Preconditions().uid(uid));
    }
    beforeWrite();
    Call call = api.deleteNamespacedSecret(name, ns).body(options).buildCall(null);
    try (Response response = call.execute()) {
      int code = response.code();
      if (code == 404) {
        return false;
      }
      if (code / 100 != 2) {
        String body = response.body() == null ? "" : response.body().string();
        throw new ApiException(
            "deleting Secret " + ns + "/" + name + " failed",
            code,
            response.headers().toMultimap(),
            body);
      }
      return true;
    } catch (IOException e) {
      throw new ApiException(e);
    }
  }

  private void reportClash(V1Secret live, SecretClash clash) throws InterruptedException {
    V1ObjectMeta m = live.getMetadata();
    String ns = clash.namespace();
    if (reportedClashes.add(ns + "/" + m.getName() + "@" + m.getResourceVersion())) {
      LOG.warn(
          "Secret {}/{} has the name of a pull Secret but is not managed by acr-credential"
              + " (instance {}) and is not taken over: {}. It is left untouched and not added to"
              + " ServiceAccounts; the namespace has no pull Secret of acr-credential under that"
              + " name",
          ns,
          m.getName(),
          markers.instance(),
          clash.reason());
      clashListener.accept(clash);
    }
    events.report(
        ns,
        new V1ObjectReference()
            .apiVersion("v1")
            .kind("Secret")
            .namespace(ns)
            .name(m.getName())
            .uid(m.getUid())
            .resourceVersion(m.getResourceVersion()),
        "NameClash",
        "Secret "
            + m.getName()
            + " is not managed by acr-credential (instance "
            + markers.instance()
            + ") but has the name of its pull Secret, and is not taken over: "
            + clash.reason()
            + ". It is left untouched and not added to"
            + " ServiceAccounts. Rename or delete it, or label it "
            + Markers.MANAGED_LABEL
            + "=true and "
            + Markers.INSTANCE_LABEL
            + "="
            + markers.instance()
            + " to hand it over.");
  }

  // ---- ServiceAccounts ----

  private boolean updateServiceAccount(
      V1ServiceAccount cached, List<String> wanted, Set<String> adopted)
      throws ApiException, InterruptedException, NotLeaderException {
    String key = markers.serviceAccountAnnotation();
    V1ServiceAccount sa = cached;
    for (int attempt = 1; ; attempt++) {
      Map<String, String> annotations = sa.getMetadata().getAnnotations();
      String recorded = annotations == null ? null : annotations.get(key);
      Set<String> counted = PullSecretListEdit.parse(recorded);
      for (String name : adopted) {
        if (wanted.contains(name)) { // only where this instance wants it: others keep theirs
          counted.add(name);
        }
      }
      PullSecretListEdit edit =
          PullSecretListEdit.apply(
              sa.getImagePullSecrets(),
              counted.isEmpty() ? null : String.join(",", counted),
              wanted);
      if (!edit.changed()
          && Objects.equals(PullSecretListEdit.normalise(recorded), edit.recorded())) {
        return false;
      }
      V1ServiceAccount body = copy(sa, V1ServiceAccount.class);
      body.setImagePullSecrets(new ArrayList<>(edit.entries()));
      Map<String, String> newAnnotations =
          body.getMetadata().getAnnotations() == null
              ? new HashMap<>()
              : new HashMap<>(body.getMetadata().getAnnotations());
      if (edit.recorded() == null) {
        newAnnotations.remove(key);
      } else {
        newAnnotations.put(key, edit.recorded());
      }
      body.getMetadata().setAnnotations(newAnnotations.isEmpty() ? null : newAnnotations);
      String ns = body.getMetadata().getNamespace();
      String name = body.getMetadata().getName();
      beforeWrite();
      try {
        // PUT with the read resourceVersion: imagePullSecrets is an atomic list, a patch would
        // replace it wholesale and could drop an entry another writer just added.
        api.replaceNamespacedServiceAccount(name, ns, body).execute();
        return true;
      } catch (ApiException e) {
        if (e.getCode() != 409 || attempt >= SERVICE_ACCOUNT_ATTEMPTS) {
          throw e;
        }
        try {
          sa = api.readNamespacedServiceAccount(name, ns).execute();
        } catch (ApiException read) {
          if (read.getCode() == 404) {
            return false;
          }
          throw read;
        }
      }
    }
  }

  // ---- helpers ----

  /**
   * Waits for the write limiter, then makes sure this instance may still write: called right before
   * every write request, after the wait, which may be long.
   */
  private void beforeWrite() throws InterruptedException, NotLeaderException {
    limiter.acquire();
    fence.check();
  }

  private <T> T copy(T object, Class<T> type) {
    return json.deserialize(json.serialize(object), type);
  }

  private static Map<String, String> merged(Map<String, String> base, Map<String, String> extra) {
    Map<String, String> m = base == null ? new HashMap<>() : new HashMap<>(base);
    m.putAll(extra);
    return m;
  }
}
