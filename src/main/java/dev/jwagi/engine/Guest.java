package dev.jwagi.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.jwagi.memory.MemoryBudget;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A compiled module prepared for one route: volumes and limits fixed. Each {@link #run} gets a
 * fresh instance: its own memory, globals and tables, nothing kept from earlier runs.
 */
public final class Guest {
  private final WasmModule module;
  private final Function<Instance, Machine> machineFactory;
  private final ImportValues imports;
  private final MemoryLimits memoryLimits;
  private final Map<String, Path> volumes;
  private final VolumeGuard guard;
  private final long maxOutputBytes;
  private final OutboundHttp.Policy outbound;
  private final MemoryBudget budget;
  private volatile Runnable onGrowRefused = () -> {};

  /**
   * Linear memories of finished runs, for reuse. Allocating a memory's pages was over half of the
   * per-request cost. Chicory zeroes a memory and re-applies the data segments whenever an instance
   * initialises it, so a reused memory starts exactly as a new one; only memories that did not grow
   * come back (a memory cannot shrink to its initial size).
   */
  private final ConcurrentLinkedQueue<Memory> spareMemories = new ConcurrentLinkedQueue<>();

  private final AtomicInteger spareCount = new AtomicInteger();
  private static final int MAX_SPARE_MEMORIES = 64;

  Guest(
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      ImportValues imports,
      MemoryLimits memoryLimits,
      Map<String, Path> volumes,
      VolumeGuard guard,
      long maxOutputBytes,
      OutboundHttp.Policy outbound,
      MemoryBudget budget) {
    this.module = module;
    this.machineFactory = machineFactory;
    this.imports = imports;
    this.memoryLimits = memoryLimits;
    this.volumes = volumes;
    this.guard = guard;
    this.maxOutputBytes = maxOutputBytes;
    this.outbound = outbound;
    this.budget = budget;
  }

  /** Called (once per run) when a memory.grow is refused because the memory budget is full. */
  public void onGrowRefused(Runnable action) {
    this.onGrowRefused = action;
  }

  /**
   * Runs {@code entrypoint} in a fresh instance on the calling thread: the guest reads {@code
   * stdin} and writes to {@code stdout} as it runs (both may block; an IOException reaches the
   * guest as EIO). Interrupting the thread stops the guest ({@link GuestFailure.Kind#INTERRUPTED}).
   * Errors that are not the guest's fault (the JVM out of memory, a bug of ours) are thrown as they
   * are.
   */
  public GuestResult run(
      String entrypoint,
      List<String> argv,
      Map<String, String> env,
      InputStream stdin,
      OutputStream stdout)
      throws GuestFailure {
    return run(entrypoint, argv, env, stdin, stdout, null);
  }

  /**
   * Like {@link #run(String, List, Map, InputStream, OutputStream)}, with the guest's stderr
   * written to {@code stderrTarget} as it comes (then the result's and failure's stderr are empty);
   * null collects it for the result.
   */
  public GuestResult run(
      String entrypoint,
      List<String> argv,
      Map<String, String> env,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderrTarget)
      throws GuestFailure {
    long started = System.nanoTime();
    var stderr = new Stderr(stderrTarget, maxOutputBytes);
    var boundedStdout = new BoundedOutput(stdout, maxOutputBytes, "stdout");
    var options =
        WasiOptions.builder()
            .withStdin(stdin, false)
            .withStdout(boundedStdout, false)
            .withStderr(stderr, false)
            .withArguments(argv)
            .withThrowOnExit0(true);
    env.forEach(options::withEnvironment);
    volumes.forEach(options::withDirectory);
    var wasi =
        WasiPreview1.builder().withLogger(WasiLink.SILENT).withOptions(options.build()).build();
    int exitCode = 0;
    long prepareNanos = 0;
    Instance instance = null;
    Memory[] created = new Memory[1];
    try (wasi;
        var scope =
            WasiLink.enter(
                new WasiLink.GuestWasi(
                    wasi,
                    guard,
                    outbound,
                    maxOutputBytes,
                    new Stdio(stdin, boundedStdout, stderr)))) {
      var builder =
          Instance.builder(module)
              .withMachineFactory(machineFactory)
              .withImportValues(imports)
              .withStart(false);
      if (memoryLimits != null) {
        builder
            .withMemoryLimits(memoryLimits)
            .withMemoryFactory(limits -> created[0] = memory(limits));
      }
      instance = builder.build();
      prepareNanos = System.nanoTime() - started;
      instance.export(entrypoint).apply();
    } catch (Throwable t) {
      exitCode = exitCodeOrRethrow(t, stderr);
    } finally {
      recycle(created[0]);
    }
    if (Thread.interrupted()) {
      // Interrupted inside a host call that swallowed it: still a stopped guest.
      throw new GuestFailure(
          GuestFailure.Kind.INTERRUPTED, "interrupted", stderr.toByteArray(), null);
    }
    return new GuestResult(exitCode, stderr.toByteArray(), prepareNanos);
  }

  /** A guest's stderr, up to the output cap: passed on, or collected for the result. */
  private static final class Stderr extends OutputStream {
    private final ByteArrayOutputStream bytes;
    private final BoundedOutput bounded;

    Stderr(OutputStream target, long cap) {
      this.bytes = target == null ? new ByteArrayOutputStream(256) : null;
      this.bounded = new BoundedOutput(target == null ? bytes : target, cap, "stderr");
    }

    @Override
    public void write(int b) throws java.io.IOException {
      bounded.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      bounded.write(b, off, len);
    }

    byte[] toByteArray() {
      return bytes == null ? new byte[0] : bytes.toByteArray();
    }
  }

  /**
   * A memory for a new instance: a spare one, else a new one charged to the memory budget (which
   * may wait briefly for room, or throw {@link MemoryBudget.Exhausted}).
   */
  private Memory memory(MemoryLimits limits) {
    Memory spare = spareMemories.poll();
    if (spare != null) {
      spareCount.decrementAndGet();
      if (spare instanceof BudgetedMemory budgeted) {
        budgeted.reuse();
      }
      return spare;
    }
    if (budget == null) {
      return new ByteArrayMemory(limits);
    }
    return BudgetedMemory.create(limits, budget, () -> onGrowRefused.run());
  }

  /** A run's memory is done: kept for reuse (still charged) if it did not grow, else released. */
  private void recycle(Memory memory) {
    if (memory == null) {
      return;
    }
    if (memory.pages() == memoryLimits.initialPages()
        && spareCount.incrementAndGet() <= MAX_SPARE_MEMORIES) {
      spareMemories.offer(memory);
      return;
    }
    if (memory.pages() == memoryLimits.initialPages()) {
      spareCount.decrementAndGet();
    }
    if (memory instanceof BudgetedMemory budgeted) {
      budgeted.release();
    }
  }

  /** Sorts out how a guest ended abnormally: an exit code is a result, the rest are failures. */
  private static int exitCodeOrRethrow(Throwable thrown, Stderr stderr) throws GuestFailure {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof WasiExitException) {
        return ((WasiExitException) t).exitCode();
      }
      if (t instanceof ExecutionCompletedException) {
        return 0;
      }
      if (t instanceof MemoryBudget.Exhausted) {
        throw new GuestFailure(
            GuestFailure.Kind.OVER_BUDGET, t.getMessage(), stderr.toByteArray(), t);
      }
      if (t instanceof BoundedOutput.LimitExceeded) {
        throw new GuestFailure(
            GuestFailure.Kind.OUTPUT_LIMIT, t.getMessage(), stderr.toByteArray(), t);
      }
      if (t instanceof ChicoryInterruptedException || t instanceof InterruptedException) {
        Thread.interrupted(); // the interruption is handled here: the thread goes back to work
        throw new GuestFailure(
            GuestFailure.Kind.INTERRUPTED, "interrupted", stderr.toByteArray(), t);
      }
    }
    // Deep guest recursion surfaces as a StackOverflowError: the guest's doing. Every other Error
    // (OutOfMemoryError included: guest memory is charged to the server's budget before it is
    // allocated) is the server's failure, never reported as a guest trap.
    if (thrown instanceof Error && !(thrown instanceof StackOverflowError)) {
      throw (Error) thrown;
    }
    String message = thrown.getMessage() == null ? thrown.toString() : thrown.getMessage();
    if (thrown instanceof StackOverflowError) {
      message = "call stack exhausted";
    }
    throw new GuestFailure(GuestFailure.Kind.TRAP, message, stderr.toByteArray(), thrown);
  }
}
