package dev.jwagi.engine;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Interrupts a guest that runs past its timeout. Chicory's compiled code checks the thread's
 * interrupt flag, so the guest stops and its worker thread is free at once.
 *
 * <p>Each thread that runs guests has one reusable {@link Deadline}, and a watcher thread looks at
 * all of them every {@link #TICK}: taking and dropping a deadline (nearly every one is dropped: the
 * guest finished in time) is two field writes, with nothing allocated, queued or woken. A timer per
 * deadline cost ~0.5 µs of a wasm request (bench/profile.sh); the thread set is small (the worker
 * pool). The price: a deadline fires up to {@link #TICK} late.
 */
public final class Deadlines implements AutoCloseable {
  /** How late a deadline may fire. */
  static final Duration TICK = Duration.ofMillis(10);

  private final Set<Deadline> all = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Deadline> own = new ThreadLocal<>();
  private Thread watcher;
  private volatile boolean closed;

  /** Stops the watcher thread (when the server has stopped); no deadline fires after this. */
  @Override
  public synchronized void close() {
    closed = true;
    if (watcher != null) {
      LockSupport.unpark(watcher);
    }
  }

  /**
   * The calling thread's deadline, {@code timeout} from now; close it when the guest is done,
   * before anything else. One at a time per thread: the object is the thread's, reused.
   */
  public Deadline start(Duration timeout) {
    Deadline deadline = own.get();
    if (deadline == null) {
      deadline = new Deadline(Thread.currentThread());
      own.set(deadline);
      all.add(deadline);
      startWatcher();
    }
    deadline.arm(System.nanoTime() + timeout.toNanos()); // timeouts are at most 7 days (LimitKey)
    return deadline;
  }

  private synchronized void startWatcher() {
    if (watcher == null && !closed) {
      watcher = new Thread(this::watch, "jwagi-deadlines");
      watcher.setDaemon(true);
      watcher.start();
    }
  }

  private void watch() {
    while (!closed) {
      LockSupport.parkNanos(TICK.toNanos());
      long now = System.nanoTime();
      for (Deadline deadline : all) {
        if (!deadline.thread.isAlive()) {
          all.remove(deadline);
        } else if (!closed) {
          deadline.fireIfDue(now);
        }
      }
    }
  }

  /** A thread's deadline: armed by {@link #start}, disarmed by {@link #close}. */
  public static final class Deadline implements AutoCloseable {
    private final Thread thread;

    // Guarded by this: the watcher's interrupt and the close that clears it never interleave.
    private long due;
    private boolean armed;
    private boolean fired;

    private Deadline(Thread thread) {
      this.thread = thread;
    }

    private synchronized void arm(long due) {
      if (armed) {
        throw new IllegalStateException("a deadline is already running on this thread");
      }
      this.due = due;
      this.armed = true;
      this.fired = false;
    }

    private synchronized void fireIfDue(long now) {
      if (armed && now - due >= 0) {
        armed = false;
        fired = true;
        thread.interrupt();
      }
    }

    /** Whether the timeout ran out (and the thread was interrupted); valid until the next start. */
    public synchronized boolean fired() {
      return fired;
    }

    @Override
    public void close() {
      boolean wasFired;
      synchronized (this) {
        armed = false;
        wasFired = fired;
      }
      if (wasFired) {
        Thread.interrupted(); // never leave our interrupt on a pooled thread
      }
    }
  }
}
