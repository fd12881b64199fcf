package dev.jwagi.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
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

  /** Every worker thread started, with the route it serves (a field: no map work per request). */
  private final List<Worker> started = new CopyOnWriteArrayList<>();

  Workers(int threads, int queue) {
    pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.SECONDS,
            queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue),
            new ThreadFactory() {
              private final AtomicInteger count = new AtomicInteger();

              @Override
              public Thread newThread(Runnable r) {
                Worker worker = new Worker(r, "jwagi-worker-" + count.incrementAndGet());
                started.add(worker);
                return worker;
              }
            });
  }

  /** A worker thread, and the route whose guest it runs (null when idle). */
  private static final class Worker extends Thread {
    volatile String route;

    Worker(Runnable task, String name) {
      super(task, name);
      setDaemon(true);
    }
  }

  /**
   * Runs {@code task} for {@code route} on a worker; cancelling the future interrupts it. The task
   * must catch what it throws itself (a FutureTask would keep it unseen).
   */
  Future<?> submit(String route, Runnable task) throws RejectedExecutionException {
    FutureTask<Void> future =
        new FutureTask<>(
            () -> {
              Worker worker = (Worker) Thread.currentThread();
              worker.route = route;
              try {
                task.run();
              } finally {
                worker.route = null;
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
    List<String> routes = new ArrayList<>();
    for (Worker worker : started) {
      String route = worker.route;
      if (route != null) {
        routes.add(route);
      }
    }
    pool.shutdownNow();
    return routes;
  }
}
