package dev.jwagi.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads guest code runs on (never an event loop): a fixed pool with a bounded queue. Knows
 * which route each busy thread serves, so a drain that runs out of time can say whose guests it
 * stopped.
 */
final class Workers {
  private final ThreadPoolExecutor pool;
  private final ConcurrentHashMap<Thread, String> busy = new ConcurrentHashMap<>();

  Workers(int threads, int queue) {
    pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.SECONDS,
            queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue),
            namedThreads("jwagi-worker-"));
  }

  /**
   * Runs {@code task} for {@code route} on a worker; cancelling the future interrupts it. The task
   * must catch what it throws itself (a FutureTask would keep it unseen).
   */
  Future<?> submit(String route, Runnable task) throws RejectedExecutionException {
    FutureTask<Void> future =
        new FutureTask<>(
            () -> {
              Thread thread = Thread.currentThread();
              busy.put(thread, route);
              try {
                task.run();
              } finally {
                busy.remove(thread);
              }
            },
            null);
    pool.execute(future);
    return future;
  }

  int running() {
    return pool.getActiveCount();
  }

  int queued() {
    return pool.getQueue().size();
  }

  boolean isShutdown() {
    return pool.isShutdown();
  }

  /** Takes no new tasks; those queued and running go on. */
  void shutdown() {
    pool.shutdown();
  }

  boolean awaitTermination(Duration timeout) throws InterruptedException {
    return pool.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Interrupts every running task and drops the queued ones; returns the routes interrupted. */
  List<String> stopNow() {
    List<String> routes = new ArrayList<>(busy.values());
    pool.shutdownNow();
    return routes;
  }

  static java.util.concurrent.ThreadFactory namedThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
