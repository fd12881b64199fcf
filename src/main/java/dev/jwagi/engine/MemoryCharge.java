package dev.jwagi.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import dev.jwagi.memory.MemoryBudget;
import java.util.concurrent.TimeUnit;

/**
 * One guest linear memory's share of the server's memory budget: reserved when the memory is made
 * (waiting briefly for room), grown with it ({@link CowMemory} asks before every growth), back to
 * its initial size when the memory is reset for reuse, and given back when the memory is dropped. A
 * memory serves one run at a time, so this needs no locking.
 */
final class MemoryCharge implements GrowthListener {
  static final long PAGE = 65536;

  /** How long a new guest waits for room in the budget before it is refused (503). */
  static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final MemoryBudget budget;
  private final long initial;
  private final Runnable onRefused;
  private long charged;
  private boolean refused;

  private MemoryCharge(MemoryBudget budget, long initial, Runnable onRefused) {
    this.budget = budget;
    this.initial = initial;
    this.charged = initial;
    this.onRefused = onRefused;
  }

  /**
   * Reserves {@code bytes}, waiting up to {@link #MAX_WAIT_NANOS}; throws {@link
   * MemoryBudget.Exhausted} when they do not fit. onRefused: called the first time in a run that a
   * growth is refused for want of budget.
   */
  static MemoryCharge reserve(MemoryBudget budget, long bytes, Runnable onRefused) {
    boolean reserved;
    try {
      reserved = budget.reserve(bytes, MAX_WAIT_NANOS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChicoryInterruptedException("interrupted while waiting for memory");
    }
    if (!reserved) {
      throw new MemoryBudget.Exhausted(
          "no room in the memory budget for a new guest's " + (bytes >> 10) + " KiB");
    }
    return new MemoryCharge(budget, bytes, onRefused);
  }

  @Override
  public boolean growing(long addedBytes, long newTotalBytes) {
    if (!budget.tryGrow(addedBytes)) {
      if (!refused) {
        refused = true;
        onRefused.run();
      }
      return false;
    }
    charged += addedBytes;
    return true;
  }

  /** The memory starts another run. */
  void newRun() {
    refused = false;
  }

  /** The memory was reset to its initial size: what it grew by goes back. */
  void backToInitial() {
    budget.release(charged - initial);
    charged = initial;
  }

  /** The memory is dropped: its whole charge goes back. */
  void release() {
    budget.release(charged);
    charged = 0;
  }
}
