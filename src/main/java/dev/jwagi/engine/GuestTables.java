package dev.jwagi.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import dev.jwagi.memory.MemoryBudget;

/**
 * A run's tables, made through Chicory's {@link TableFactory}: their elements together may not pass
 * the route's {@code max_table_elements} (the declared sizes count), and what they grow by is
 * charged to the memory budget; {@code table.grow} beyond either returns -1, as {@code memory.grow}
 * does at its cap. One run, one thread: no locking.
 */
final class GuestTables implements TableFactory {
  /** What a table element costs the heap: Chicory keeps an int and an Instance reference. */
  static final long BYTES_PER_ELEMENT = 8;

  private final long cap;
  private final MemoryBudget budget;
  private long elements;
  private long charged;

  /** budget: null when not charged (start-up runs). */
  GuestTables(long cap, MemoryBudget budget) {
    this.cap = cap;
    this.budget = budget;
  }

  @Override
  public TableInstance create(Table table, int initialRef) {
    elements += table.limits().min();
    return new Capped(table, initialRef);
  }

  /** The run is over: what the tables grew by goes back to the budget. */
  void release() {
    if (budget != null && charged > 0) {
      budget.release(charged);
    }
    charged = 0;
  }

  private final class Capped extends TableInstance {
    Capped(Table table, int initialRef) {
      super(table, initialRef);
    }

    @Override
    public int grow(int size, int value, Instance instance) {
      if (size <= 0) {
        return super.grow(size, value, instance); // -1 for a negative size, the size for 0
      }
      if (elements + size > cap) {
        return -1;
      }
      long bytes = size * BYTES_PER_ELEMENT;
      if (budget != null && !budget.tryGrow(bytes)) {
        return -1;
      }
      int old = super.grow(size, value, instance);
      if (old < 0) {
        if (budget != null) {
          budget.release(bytes);
        }
        return old;
      }
      elements += size;
      if (budget != null) {
        charged += bytes;
      }
      return old;
    }
  }
}
