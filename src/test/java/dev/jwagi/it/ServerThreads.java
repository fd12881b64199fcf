package dev.jwagi.it;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The servers under test run in the test JVM, so their worker threads can be inspected: which of
 * them are inside a guest right now. Used to check that no worker is left stuck in a guest, and to
 * wait (by polling that observable state, never by a blind sleep) until a guest has started.
 */
final class ServerThreads {
  private ServerThreads() {}

  /** Names of the jwagi worker threads that are running a guest at this moment. */
  static List<String> workersInGuest() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().getName().startsWith("jwagi-worker-"))
        .filter(e -> e.getKey().isAlive() && inGuest(e.getValue()))
        .map(Map.Entry::getKey)
        .map(Thread::getName)
        .sorted()
        .toList();
  }

  private static boolean inGuest(StackTraceElement[] stack) {
    return Arrays.stream(stack)
        .anyMatch(
            f ->
                f.getClassName().equals("dev.jwagi.engine.Guest")
                    && f.getMethodName().equals("run"));
  }

  /** Waits until at least {@code n} workers are inside a guest; fails after {@code timeoutMs}. */
  static void awaitWorkersInGuest(int n, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (workersInGuest().size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "fewer than " + n + " guests running after " + timeoutMs + " ms: " + workersInGuest());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // poll interval only
    }
  }
}
