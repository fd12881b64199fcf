package dev.jwagi.memory;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back, before serving, the heap that start-up grew. Compiling a large module (or loading it
 * from the module cache) makes garbage fast with a large live set, and G1 answers with a larger
 * heap: 2.2 GiB committed after SQLite's start, 4.7 GiB while compiling zeroperl. G1 then sizes its
 * young generation from that heap (60% at most), so serving touched 1.3 GiB of eden for a live set
 * of 68 MB, and G1 shrinks a heap only after a full collection or a marking cycle, which a server
 * with little live data rarely needs. One full collection here, when start-up grew the heap past
 * its initial size, shrinks it to what is live (plus G1's free ratio), and serving grows it only as
 * far as its own garbage rate asks.
 */
public final class StartupHeap {
  private static final Logger log = LoggerFactory.getLogger(StartupHeap.class);

  private StartupHeap() {}

  /** Whether a heap in this state was grown by start-up (past its initial size). */
  static boolean grown(MemoryUsage heap) {
    return heap.getInit() > 0 && heap.getCommitted() > heap.getInit();
  }

  /** Collects the heap once if start-up grew it; logs the sizes before and after. */
  public static void trim() {
    var memory = ManagementFactory.getMemoryMXBean();
    MemoryUsage before = memory.getHeapMemoryUsage();
    if (!grown(before)) {
      return;
    }
    long t0 = System.nanoTime();
    System.gc();
    MemoryUsage after = memory.getHeapMemoryUsage();
    log.info(
        "start-up grew the heap to {} MiB: collected to {} MiB committed, {} MiB used, in {} ms",
        before.getCommitted() >> 20,
        after.getCommitted() >> 20,
        after.getUsed() >> 20,
        (System.nanoTime() - t0) / 1_000_000);
  }
}
