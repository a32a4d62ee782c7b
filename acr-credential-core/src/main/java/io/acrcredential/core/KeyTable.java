package io.acrcredential.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of {@link CachingTokenProvider}: a concurrent map from target to {@link KeyState}, an
 * identity front that finds the first {@value #HOT_KEYS} keys used without hashing the target
 * record, and the cache's closed flag. A state leaves the table once and for all (forgotten or
 * closed); a later fetch of the target creates a fresh one.
 */
final class KeyTable {

  private static final int HOT_KEYS = 8;

  private final ConcurrentHashMap<RegistryTarget, KeyState> states = new ConcurrentHashMap<>();

  /**
   * Up to {@link #HOT_KEYS} states matched by target identity before the map is asked, so that
   * callers who reuse their target instance skip the record's {@code hashCode}/{@code equals}.
   * Copy-on-write under {@link #hotLock}; holds only states that are in {@link #states}.
   */
  private volatile KeyState[] hot = new KeyState[0];

  private final Object hotLock = new Object();
  private final Object closeLock = new Object();
  private volatile boolean closed;

  /** The state of the target, or null; takes no lock and allocates nothing. */
  KeyState find(RegistryTarget target) {
    KeyState[] recent = hot;
    for (int i = 0; i < recent.length; i++) {
      if (recent[i].target == target) {
        return recent[i];
      }
    }
    return states.get(target);
  }

  /** The state of the target from the map alone, or null. */
  KeyState get(RegistryTarget target) {
    return states.get(target);
  }

  /** The state of the target, created when there is none. */
  KeyState getOrCreate(RegistryTarget target) {
    return states.computeIfAbsent(target, KeyState::new);
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Takes the target's state out of the table and {@linkplain KeyState#retire() retires} it.
   *
   * @return the removed state, or null when the target had none
   */
  KeyState forget(RegistryTarget target) {
    KeyState state = states.remove(target);
    if (state != null) {
      synchronized (state) {
        state.retire();
      }
      dropFromHot(state);
    }
    return state;
  }

  /**
   * Marks the table closed and empties it.
   *
   * @return the states it held, not yet retired; null when it was already closed
   */
  List<KeyState> close() {
    synchronized (closeLock) {
      if (closed) {
        return null;
      }
      closed = true;
    }
    List<KeyState> all = new ArrayList<>(states.values());
    states.clear();
    synchronized (hotLock) {
      hot = new KeyState[0];
    }
    return all;
  }

  /** Adds a live state to the identity front, if there is room; called under the state's lock. */
  void promote(KeyState state) {
    KeyState[] current = hot;
    if (current.length >= HOT_KEYS) {
      return;
    }
    for (KeyState s : current) {
      if (s == state) {
        return;
      }
    }
    synchronized (hotLock) {
      KeyState[] now = hot;
      if (closed || state.removed || now.length >= HOT_KEYS) {
        return;
      }
      for (KeyState s : now) {
        if (s == state) {
          return;
        }
      }
      KeyState[] next = Arrays.copyOf(now, now.length + 1);
      next[now.length] = state;
      hot = next;
    }
  }

  private void dropFromHot(KeyState state) {
    synchronized (hotLock) {
      KeyState[] now = hot;
      KeyState[] next = new KeyState[now.length];
      int n = 0;
      for (KeyState s : now) {
        if (s != state) {
          next[n++] = s;
        }
      }
      hot = Arrays.copyOf(next, n);
    }
  }
}
