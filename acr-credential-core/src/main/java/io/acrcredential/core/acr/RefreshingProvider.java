package io.acrcredential.core.acr;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import io.acrcredential.core.TokenException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caches session credentials and fetches new ones before they expire: a third of the session's
 * lifetime (at most 15 minutes) ahead, so ACR tokens issued from them still last a while. When a
 * renewal fails while the old session is still valid for another minute, the old one is kept.
 */
abstract class RefreshingProvider implements IdentityProvider {

  private static final Logger LOG = LoggerFactory.getLogger(RefreshingProvider.class);
  private static final Duration MAX_MARGIN = Duration.ofMinutes(15);
  private static final Duration MIN_REMAINING = Duration.ofMinutes(1);

  /** One session: credentials, when they expire, when to renew them. */
  record Session(AlibabaCloudCredentials credentials, Instant expiration, Instant refreshAt) {
    @Override
    public String toString() {
      return "Session[expiration=" + expiration + ", refreshAt=" + refreshAt + "]";
    }
  }

  private final Clock clock;
  private Session current;

  RefreshingProvider(Clock clock) {
    this.clock = clock;
  }

  /** Fetches a new session. */
  abstract Session fetchSession() throws TokenException;

  @Override
  public final synchronized AlibabaCloudCredentials getCredentials() {
    Instant now = clock.instant();
    if (current == null || !now.isBefore(current.refreshAt())) {
      try {
        Session next = fetchSession();
        LOG.debug(
            "New session credentials for the {}, valid until {}", identity(), next.expiration());
        current = next;
      } catch (TokenException e) {
        if (current != null && now.plus(MIN_REMAINING).isBefore(current.expiration())) {
          LOG.warn(
              "Renewing session credentials for the {} failed ({}); keeping the current ones until"
                  + " {}",
              identity(),
              e.getMessage(),
              current.expiration());
          return current.credentials();
        }
        throw e;
      }
    }
    return current.credentials();
  }

  /** A session renewed a third of its lifetime (at most 15 minutes) before it expires. */
  Session session(AlibabaCloudCredentials credentials, Instant expiration) {
    Instant now = clock.instant();
    Duration lifetime = Duration.between(now, expiration);
    if (lifetime.isNegative()) {
      lifetime = Duration.ZERO;
    }
    Duration margin = lifetime.dividedBy(3);
    if (margin.compareTo(MAX_MARGIN) > 0) {
      margin = MAX_MARGIN;
    }
    return new Session(credentials, expiration, expiration.minus(margin));
  }

  Clock clock() {
    return clock;
  }
}
