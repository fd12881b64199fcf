package dev.jwagi.memory;

import java.util.concurrent.TimeUnit;

/**
 * The server-wide memory budget ({@code --max-buffered}): what requests in flight may hold on the
 * heap together (body and output buffers, guest linear memories). Whoever allocates such memory
 * reserves it here first and releases it when done, so no number of requests can take the JVM to
 * OutOfMemoryError. Thread-safe.
 */
public final class MemoryBudget {
  /** A reservation that did not fit: the server is at its budget (answered 503, not 500). */
  public static final class Exhausted extends RuntimeException {
    public Exhausted(String message) {
      super(message, null, false, false);
    }
  }

  private final long limit;

  /** What growth of running guests may fill; the rest is kept for new requests. */
  private final long growthLimit;

  private long used;
  private long peak;
  private int waiting;

  public MemoryBudget(long limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("budget " + limit);
    }
    this.limit = limit;
    this.growthLimit = limit - limit / 8;
  }

  /** Reserves {@code bytes} if they fit now. */
  public synchronized boolean tryReserve(long bytes) {
    if (bytes > limit - used) {
      return false;
    }
    used += bytes;
    peak = Math.max(peak, used);
    return true;
  }

  /**
   * Reserves {@code bytes} for a running guest's growth: it fits only below seven eighths of the
   * budget and while no new guest waits for memory, so new requests are not starved by guests that
   * grow until refused.
   */
  public synchronized boolean tryGrow(long bytes) {
    if (waiting > 0 || bytes > growthLimit - used) {
      return false;
    }
    used += bytes;
    peak = Math.max(peak, used);
    return true;
  }

  /**
   * Reserves {@code bytes}, waiting up to {@code maxWaitNanos} for others to release enough; false
   * if they still do not fit.
   */
  public synchronized boolean reserve(long bytes, long maxWaitNanos) throws InterruptedException {
    long deadline = System.nanoTime() + maxWaitNanos;
    waiting++;
    try {
      while (bytes > limit - used) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || bytes > limit) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    } finally {
      waiting--;
    }
    used += bytes;
    peak = Math.max(peak, used);
    return true;
  }

  public synchronized void release(long bytes) {
    used -= bytes;
    notifyAll();
  }

  public long limit() {
    return limit;
  }

  public synchronized long used() {
    return used;
  }

  /** The most ever reserved at once. */
  public synchronized long peak() {
    return peak;
  }
}
