package dev.jwagi.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task on N threads at the same moment: each thread first does its own set-up (e.g. opens
 * its connection), then all wait on one barrier and go together, so N requests are in flight at
 * once without any sleep.
 */
final class Together {
  private Together() {}

  /** Per-thread work in two steps: {@link #prepare} before the barrier, {@link #go} after it. */
  interface Task<P, R> {
    P prepare(int index) throws Exception;

    R go(P prepared, int index) throws Exception;
  }

  /** Runs {@code task} on {@code n} threads released together; the results in index order. */
  static <P, R> List<R> run(int n, Task<P, R> task) throws Exception {
    CyclicBarrier barrier = new CyclicBarrier(n);
    ExecutorService threads = Executors.newFixedThreadPool(n);
    try {
      List<Future<R>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        Callable<R> call =
            () -> {
              P prepared = task.prepare(index);
              try {
                barrier.await(20, TimeUnit.SECONDS);
                return task.go(prepared, index);
              } finally {
                if (prepared instanceof AutoCloseable closeable) {
                  closeable.close();
                }
              }
            };
        futures.add(threads.submit(call));
      }
      List<R> results = new ArrayList<>();
      for (Future<R> future : futures) {
        results.add(future.get(50, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      threads.shutdownNow();
    }
  }

  /** Simplest case: no set-up, {@code go} only. */
  static <R> List<R> run(int n, Callable<R> go) throws Exception {
    return run(
        n,
        new Task<Void, R>() {
          @Override
          public Void prepare(int index) {
            return null;
          }

          @Override
          public R go(Void prepared, int index) throws Exception {
            return go.call();
          }
        });
  }
}
