package dev.jwagi.engine;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts a guest that runs past its timeout. Chicory's compiled code checks the thread's
 * interrupt flag, so the guest stops and its worker thread is free at once.
 *
 * <p>A hashed wheel (Netty's) rather than a scheduled executor: nearly every deadline is cancelled
 * (the guest finished in time), and a wheel takes and drops one without waking its thread, where
 * the executor woke its timer thread for most requests (a new earliest deadline): 12% of a wasm
 * request's worker time in bench/profile.sh. The price: a deadline fires up to {@link #TICK} late.
 */
public final class Deadlines implements AutoCloseable {
  /** How late a deadline may fire. */
  static final Duration TICK = Duration.ofMillis(10);

  private final HashedWheelTimer wheel =
      new HashedWheelTimer(
          r -> {
            Thread t = new Thread(r, "jwagi-deadlines");
            t.setDaemon(true);
            return t;
          },
          TICK.toNanos(),
          TimeUnit.NANOSECONDS,
          512,
          false); // one wheel per server: no leak detection needed

  /** Stops the timer thread (when the server has stopped); no deadline fires after this. */
  @Override
  public void close() {
    wheel.stop();
  }

  /** A deadline for the calling thread; close it when the guest is done, before anything else. */
  public Deadline start(Duration timeout) {
    return new Deadline(Thread.currentThread(), timeout);
  }

  public final class Deadline implements AutoCloseable {
    private final Thread thread;
    private final Timeout task;
    private boolean running = true;
    private boolean fired;

    private Deadline(Thread thread, Duration timeout) {
      this.thread = thread;
      this.task = wheel.newTimeout(t -> fire(), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private synchronized void fire() {
      if (running) {
        fired = true;
        thread.interrupt();
      }
    }

    public synchronized boolean fired() {
      return fired;
    }

    @Override
    public void close() {
      task.cancel();
      synchronized (this) {
        running = false;
      }
      if (fired) {
        Thread.interrupted(); // never leave our interrupt on a pooled thread
      }
    }
  }
}
