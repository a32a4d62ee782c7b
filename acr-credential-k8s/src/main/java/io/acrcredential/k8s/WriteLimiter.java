package io.acrcredential.k8s;

/**
 * A client-side token bucket for write requests: at most {@code burst} writes at once, refilled at
 * {@code perSecond}. {@link #acquire()} blocks the calling worker until a token is free.
 */
final class WriteLimiter {

  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;

  WriteLimiter(double perSecond, int burst) {
    if (!(perSecond > 0) || burst < 1) {
      throw new IllegalArgumentException(
          "write rate must be positive and burst at least 1, got " + perSecond + "/s, " + burst);
    }
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = System.nanoTime();
  }

  void acquire() throws InterruptedException {
    long waitNanos;
    synchronized (this) {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (now - last) * perNano);
      last = now;
      tokens -= 1;
      waitNanos = tokens >= 0 ? 0 : (long) (-tokens / perNano);
    }
    if (waitNanos > 0) {
      Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }
  }
}
