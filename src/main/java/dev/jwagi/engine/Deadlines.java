package dev.jwagi.engine;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts a guest that runs past its timeout. Chicory's compiled code checks the thread's
 * interrupt flag, so the guest stops and its worker thread is free at once.
 */
public final class Deadlines implements AutoCloseable {
  private final ScheduledThreadPoolExecutor timer = newTimer();

  private static ScheduledThreadPoolExecutor newTimer() {
    var timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "jwagi-deadlines");
              t.setDaemon(true);
              return t;
            });
    // Nearly every deadline is cancelled (the guest finished in time). Left in the queue until
    // they expire, 20k requests/s with a 30 s timeout would keep 600k dead tasks queued.
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /** Stops the timer thread (when the server has stopped); no deadline fires after this. */
  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** A deadline for the calling thread; close it when the guest is done, before anything else. */
  public Deadline start(Duration timeout) {
    return new Deadline(Thread.currentThread(), timeout);
  }

  public final class Deadline implements AutoCloseable {
    private final Thread thread;
    private final ScheduledFuture<?> task;
    private boolean running = true;
    private boolean fired;

    private Deadline(Thread thread, Duration timeout) {
      this.thread = thread;
      this.task = timer.schedule(this::fire, timeout.toNanos(), TimeUnit.NANOSECONDS);
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
      task.cancel(false);
      synchronized (this) {
        running = false;
      }
      if (fired) {
        Thread.interrupted(); // never leave our interrupt on a pooled thread
      }
    }
  }
}
