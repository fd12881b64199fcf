package dev.jwagi.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.jwagi.memory.MemoryBudget;
import java.nio.charset.Charset;

/**
 * A guest's linear memory charged to the server's {@link MemoryBudget}: its initial pages before it
 * is allocated (waiting briefly for room, else {@link MemoryBudget.Exhausted}), and each
 * memory.grow before the pages are added. A grow that does not fit fails inside the guest (-1),
 * exactly as at the route's cap. Chicory's ByteArrayMemory is final, so this wraps it; the one
 * place to move onto another Memory implementation.
 */
@SuppressWarnings("removal") // delegates Memory's deprecated wait/notify too
final class BudgetedMemory implements Memory {
  private static final long PAGE = 65536;

  /** How long a new guest waits for room in the budget before it is refused (503). */
  static final long MAX_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

  private final ByteArrayMemory memory;
  private final MemoryBudget budget;
  private final Runnable onRefused;
  private long charged;
  private boolean refused;

  private BudgetedMemory(
      ByteArrayMemory memory, MemoryBudget budget, long charged, Runnable onRefused) {
    this.memory = memory;
    this.budget = budget;
    this.charged = charged;
    this.onRefused = onRefused;
  }

  /**
   * A new memory of {@code limits}, its initial pages (and page table) reserved first. onRefused:
   * called the first time a grow of this memory is refused for want of budget.
   */
  static BudgetedMemory create(MemoryLimits limits, MemoryBudget budget, Runnable onRefused) {
    long bytes = limits.initialPages() * PAGE + 8L * limits.maximumPages();
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
    try {
      return new BudgetedMemory(new ByteArrayMemory(limits), budget, bytes, onRefused);
    } catch (RuntimeException | Error e) {
      budget.release(bytes);
      throw e;
    }
  }

  @Override
  public int grow(int pages) {
    if (pages <= 0 || (long) memory.pages() + pages > memory.maximumPages()) {
      return memory.grow(pages); // no new pages, or over the cap: refused without a charge
    }
    long bytes = pages * PAGE;
    if (!budget.tryGrow(bytes)) {
      if (!refused) {
        refused = true;
        onRefused.run();
      }
      return -1;
    }
    int previous = memory.grow(pages);
    if (previous < 0) {
      budget.release(bytes);
    } else {
      charged += bytes;
    }
    return previous;
  }

  /** The memory starts another run (it did not grow: its charge stays). */
  void reuse() {
    refused = false;
  }

  /** The memory is dropped: its charge goes back to the budget. */
  void release() {
    budget.release(charged);
    charged = 0;
  }

  @Override
  public int pages() {
    return memory.pages();
  }

  @Override
  public int initialPages() {
    return memory.initialPages();
  }

  @Override
  public int maximumPages() {
    return memory.maximumPages();
  }

  @Override
  public boolean shared() {
    return memory.shared();
  }

  @SuppressWarnings("removal")
  @Override
  public Object lock(int a0) {
    return memory.lock(a0);
  }

  @Override
  public int waitOn(int a0, int a1, long a2) {
    return memory.waitOn(a0, a1, a2);
  }

  @Override
  public int waitOn(int a0, long a1, long a2) {
    return memory.waitOn(a0, a1, a2);
  }

  @Override
  public int notify(int a0, int a1) {
    return memory.notify(a0, a1);
  }

  @Override
  public void atomicFence() {
    memory.atomicFence();
  }

  @Override
  public int atomicWait(int a0, int a1, long a2) {
    return memory.atomicWait(a0, a1, a2);
  }

  @Override
  public int atomicWait(int a0, long a1, long a2) {
    return memory.atomicWait(a0, a1, a2);
  }

  @Override
  public int atomicNotify(int a0, int a1) {
    return memory.atomicNotify(a0, a1);
  }

  @Override
  public int atomicReadInt(int a0) {
    return memory.atomicReadInt(a0);
  }

  @Override
  public long atomicReadLong(int a0) {
    return memory.atomicReadLong(a0);
  }

  @Override
  public short atomicReadShort(int a0) {
    return memory.atomicReadShort(a0);
  }

  @Override
  public byte atomicReadByte(int a0) {
    return memory.atomicReadByte(a0);
  }

  @Override
  public void atomicWriteInt(int a0, int a1) {
    memory.atomicWriteInt(a0, a1);
  }

  @Override
  public void atomicWriteLong(int a0, long a1) {
    memory.atomicWriteLong(a0, a1);
  }

  @Override
  public void atomicWriteShort(int a0, short a1) {
    memory.atomicWriteShort(a0, a1);
  }

  @Override
  public void atomicWriteByte(int a0, byte a1) {
    memory.atomicWriteByte(a0, a1);
  }

  @Override
  public int atomicAddInt(int a0, int a1) {
    return memory.atomicAddInt(a0, a1);
  }

  @Override
  public int atomicAndInt(int a0, int a1) {
    return memory.atomicAndInt(a0, a1);
  }

  @Override
  public int atomicOrInt(int a0, int a1) {
    return memory.atomicOrInt(a0, a1);
  }

  @Override
  public int atomicXorInt(int a0, int a1) {
    return memory.atomicXorInt(a0, a1);
  }

  @Override
  public int atomicXchgInt(int a0, int a1) {
    return memory.atomicXchgInt(a0, a1);
  }

  @Override
  public int atomicCmpxchgInt(int a0, int a1, int a2) {
    return memory.atomicCmpxchgInt(a0, a1, a2);
  }

  @Override
  public long atomicAddLong(int a0, long a1) {
    return memory.atomicAddLong(a0, a1);
  }

  @Override
  public long atomicAndLong(int a0, long a1) {
    return memory.atomicAndLong(a0, a1);
  }

  @Override
  public long atomicOrLong(int a0, long a1) {
    return memory.atomicOrLong(a0, a1);
  }

  @Override
  public long atomicXorLong(int a0, long a1) {
    return memory.atomicXorLong(a0, a1);
  }

  @Override
  public long atomicXchgLong(int a0, long a1) {
    return memory.atomicXchgLong(a0, a1);
  }

  @Override
  public long atomicCmpxchgLong(int a0, long a1, long a2) {
    return memory.atomicCmpxchgLong(a0, a1, a2);
  }

  @Override
  public short atomicAddShort(int a0, short a1) {
    return memory.atomicAddShort(a0, a1);
  }

  @Override
  public short atomicAndShort(int a0, short a1) {
    return memory.atomicAndShort(a0, a1);
  }

  @Override
  public short atomicOrShort(int a0, short a1) {
    return memory.atomicOrShort(a0, a1);
  }

  @Override
  public short atomicXorShort(int a0, short a1) {
    return memory.atomicXorShort(a0, a1);
  }

  @Override
  public short atomicXchgShort(int a0, short a1) {
    return memory.atomicXchgShort(a0, a1);
  }

  @Override
  public short atomicCmpxchgShort(int a0, short a1, short a2) {
    return memory.atomicCmpxchgShort(a0, a1, a2);
  }

  @Override
  public byte atomicAddByte(int a0, byte a1) {
    return memory.atomicAddByte(a0, a1);
  }

  @Override
  public byte atomicAndByte(int a0, byte a1) {
    return memory.atomicAndByte(a0, a1);
  }

  @Override
  public byte atomicOrByte(int a0, byte a1) {
    return memory.atomicOrByte(a0, a1);
  }

  @Override
  public byte atomicXorByte(int a0, byte a1) {
    return memory.atomicXorByte(a0, a1);
  }

  @Override
  public byte atomicXchgByte(int a0, byte a1) {
    return memory.atomicXchgByte(a0, a1);
  }

  @Override
  public byte atomicCmpxchgByte(int a0, byte a1, byte a2) {
    return memory.atomicCmpxchgByte(a0, a1, a2);
  }

  @Override
  public void initialize(Instance a0, DataSegment[] a1) {
    memory.initialize(a0, a1);
  }

  @Override
  public void initialize(Instance a0, DataSegment[] a1, int a2) {
    memory.initialize(a0, a1, a2);
  }

  @Override
  public void initPassiveSegment(int a0, int a1, int a2, int a3) {
    memory.initPassiveSegment(a0, a1, a2, a3);
  }

  @Override
  public void writeString(int a0, String a1, Charset a2) {
    memory.writeString(a0, a1, a2);
  }

  @Override
  public void writeString(int a0, String a1) {
    memory.writeString(a0, a1);
  }

  @Override
  public String readString(int a0, int a1) {
    return memory.readString(a0, a1);
  }

  @Override
  public String readString(int a0, int a1, Charset a2) {
    return memory.readString(a0, a1, a2);
  }

  @Override
  public void writeCString(int a0, String a1) {
    memory.writeCString(a0, a1);
  }

  @Override
  public void writeCString(int a0, String a1, Charset a2) {
    memory.writeCString(a0, a1, a2);
  }

  @Override
  public String readCString(int a0, Charset a1) {
    return memory.readCString(a0, a1);
  }

  @Override
  public String readCString(int a0) {
    return memory.readCString(a0);
  }

  @Override
  public void write(int a0, byte[] a1) {
    memory.write(a0, a1);
  }

  @Override
  public void write(int a0, byte[] a1, int a2, int a3) {
    memory.write(a0, a1, a2, a3);
  }

  @Override
  public byte read(int a0) {
    return memory.read(a0);
  }

  @Override
  public byte[] readBytes(int a0, int a1) {
    return memory.readBytes(a0, a1);
  }

  @Override
  public void writeI32(int a0, int a1) {
    memory.writeI32(a0, a1);
  }

  @Override
  public int readInt(int a0) {
    return memory.readInt(a0);
  }

  @Override
  public long readI32(int a0) {
    return memory.readI32(a0);
  }

  @Override
  public long readU32(int a0) {
    return memory.readU32(a0);
  }

  @Override
  public void writeLong(int a0, long a1) {
    memory.writeLong(a0, a1);
  }

  @Override
  public long readLong(int a0) {
    return memory.readLong(a0);
  }

  @Override
  public long readI64(int a0) {
    return memory.readI64(a0);
  }

  @Override
  public void writeShort(int a0, short a1) {
    memory.writeShort(a0, a1);
  }

  @Override
  public short readShort(int a0) {
    return memory.readShort(a0);
  }

  @Override
  public long readI16(int a0) {
    return memory.readI16(a0);
  }

  @Override
  public long readU16(int a0) {
    return memory.readU16(a0);
  }

  @Override
  public void writeByte(int a0, byte a1) {
    memory.writeByte(a0, a1);
  }

  @Override
  public long readU8(int a0) {
    return memory.readU8(a0);
  }

  @Override
  public long readI8(int a0) {
    return memory.readI8(a0);
  }

  @Override
  public void writeF32(int a0, float a1) {
    memory.writeF32(a0, a1);
  }

  @Override
  public long readF32(int a0) {
    return memory.readF32(a0);
  }

  @Override
  public float readFloat(int a0) {
    return memory.readFloat(a0);
  }

  @Override
  public void writeF64(int a0, double a1) {
    memory.writeF64(a0, a1);
  }

  @Override
  public double readDouble(int a0) {
    return memory.readDouble(a0);
  }

  @Override
  public long readF64(int a0) {
    return memory.readF64(a0);
  }

  @Override
  public void zero() {
    memory.zero();
  }

  @Override
  public void fill(byte a0, int a1, int a2) {
    memory.fill(a0, a1, a2);
  }

  @Override
  public void copy(int a0, int a1, int a2) {
    memory.copy(a0, a1, a2);
  }

  @Override
  public void drop(int a0) {
    memory.drop(a0);
  }
}
