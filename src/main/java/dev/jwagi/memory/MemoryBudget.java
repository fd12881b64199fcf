package dev.jwagi.memory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server-wide memory budget ({@code --max-buffered}): what requests in flight may hold on the
 * heap together (body and output buffers, guest linear memories). Whoever allocates such memory
 * reserves it here first and releases it when done, so no number of requests can take the JVM to
 * OutOfMemoryError. Thread-safe; reserving and releasing take no lock (every request does both, on
 * the event loops), only waiting for room does.
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

  private final AtomicLong used = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicInteger waiting = new AtomicInteger();
  private final Object room = new Object();

  public MemoryBudget(long limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("budget " + limit);
    }
    this.limit = limit;
    this.growthLimit = limit - limit / 8;
  }

  /** Reserves {@code bytes} if they fit now. */
  public boolean tryReserve(long bytes) {
    return reserveUpTo(bytes, limit);
  }

  /**
   * Reserves {@code bytes} for a running guest's growth: it fits only below seven eighths of the
   * budget and while no new guest waits for memory, so new requests are not starved by guests that
   * grow until refused.
   */
  public boolean tryGrow(long bytes) {
    return waiting.get() == 0 && reserveUpTo(bytes, growthLimit);
  }

  private boolean reserveUpTo(long bytes, long ceiling) {
    for (; ; ) {
      long now = used.get();
      if (bytes > ceiling - now) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        peak.accumulateAndGet(now + bytes, Math::max);
        return true;
      }
    }
  }

  /**
   * Reserves {@code bytes}, waiting up to {@code maxWaitNanos} for others to release enough; false
   * if they still do not fit.
   */
  public boolean reserve(long bytes, long maxWaitNanos) throws InterruptedException {
    if (tryReserve(bytes)) {
      return true;
    }
    if (bytes > limit) {
      return false;
    }
    long deadline = System.nanoTime() + maxWaitNanos;
    waiting.incrementAndGet();
    try {
      synchronized (room) {
        while (!tryReserve(bytes)) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(room, left);
        }
        return true;
      }
    } finally {
      waiting.decrementAndGet();
    }
  }

  public void release(long bytes) {
    used.addAndGet(-bytes);
    if (waiting.get() > 0) {
      synchronized (room) {
        room.notifyAll();
      }
    }
  }

  public long limit() {
    return limit;
  }

  public long used() {
    return used.get();
  }

  /** The most ever reserved at once. */
  public long peak() {
    return peak.get();
  }
}
