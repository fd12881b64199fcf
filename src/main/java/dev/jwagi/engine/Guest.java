package dev.jwagi.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.JwagiInstanceTemplate;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
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

  /** The module's initial memory, for copy-on-write memories; null: Chicory's own memory. */
  private final CowMemory.Image memoryImage;

  /**
   * Linear memories of finished runs, for reuse: a {@link CowMemory} keeps the buffers of the
   * chunks it copied, so a later run copies into them instead of allocating. Chicory resets a
   * memory ({@code zero}, then {@code initialize}) whenever an instance takes it, so a reused
   * memory starts exactly as a new one. Chicory's own memories (modules that are not copy-on-write)
   * come back only if they did not grow: they cannot shrink to their initial size.
   */
  private final ConcurrentLinkedQueue<Memory> spareMemories = new ConcurrentLinkedQueue<>();

  private final AtomicInteger spareCount = new AtomicInteger();
  private static final int MAX_SPARE_MEMORIES = 64;

  /** Builds instances without re-deriving per run what depends on the module only. */
  private final JwagiInstanceTemplate template;

  private final Function<MemoryLimits, Memory> memoryFactory = this::memory;

  /** Asked before each growth of a copy-on-write memory: the memory-budget hook. */
  private volatile GrowthListener growthListener = GrowthListener.UNLIMITED;

  Guest(
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      ImportValues imports,
      MemoryLimits memoryLimits,
      Map<String, Path> volumes,
      VolumeGuard guard,
      long maxOutputBytes,
      OutboundHttp.Policy outbound,
      CowMemory.Image memoryImage) {
    this.module = module;
    this.machineFactory = machineFactory;
    this.imports = imports;
    this.memoryLimits = memoryLimits;
    this.volumes = volumes;
    this.guard = guard;
    this.maxOutputBytes = maxOutputBytes;
    this.outbound = outbound;
    this.memoryImage = memoryLimits == null ? null : memoryImage;
    this.template = JwagiInstanceTemplate.of(module, imports, machineFactory, memoryLimits);
  }

  /**
   * Sets what is asked before a guest's memory grows (past its initial size); refusing makes {@code
   * memory.grow} return -1 in the guest. Applies to runs that start afterwards.
   */
  public void growthListener(GrowthListener listener) {
    this.growthListener = listener;
  }

  /** {@link #run(String, StringBlock, StringBlock, byte[])} with argv and env given as strings. */
  public GuestResult run(
      String entrypoint, List<String> argv, Map<String, String> env, byte[] stdin)
      throws GuestFailure {
    List<String> variables = new ArrayList<>(env.size());
    env.forEach((name, value) -> variables.add(name + "=" + value));
    return run(entrypoint, StringBlock.of(argv), StringBlock.of(variables), stdin);
  }

  /**
   * Runs {@code entrypoint} in a fresh instance on the calling thread. Interrupting the thread
   * stops the guest ({@link GuestFailure.Kind#INTERRUPTED}).
   *
   * @param argv the guest's arguments, as its {@code args_get} returns them
   * @param env the guest's environment ({@code NAME=value}), as its {@code environ_get} returns it
   */
  public GuestResult run(String entrypoint, StringBlock argv, StringBlock env, byte[] stdin)
      throws GuestFailure {
    var stdout = new BoundedOutput(maxOutputBytes, "stdout");
    var stderr = new BoundedOutput(maxOutputBytes, "stderr");
    var options =
        WasiOptions.builder()
            .withStdin(new ByteArrayInputStream(stdin), false)
            .withStdout(stdout, false)
            .withStderr(stderr, false)
            .withThrowOnExit0(true);
    volumes.forEach(options::withDirectory);
    var wasi =
        WasiPreview1.builder().withLogger(WasiLink.SILENT).withOptions(options.build()).build();
    int exitCode = 0;
    long prepareNanos = 0;
    Instance instance = null;
    try (wasi;
        var scope =
            WasiLink.enter(
                new WasiLink.GuestWasi(wasi, guard, argv, env, outbound, maxOutputBytes))) {
      long preparing = System.nanoTime();
      if (template != null) {
        instance = template.newInstance(memoryFactory);
      } else {
        var builder =
            Instance.builder(module)
                .withMachineFactory(machineFactory)
                .withImportValues(imports)
                .withStart(false);
        if (memoryLimits != null) {
          builder.withMemoryLimits(memoryLimits).withMemoryFactory(memoryFactory);
        }
        instance = builder.build();
      }
      prepareNanos = System.nanoTime() - preparing;
      instance.export(entrypoint).apply();
    } catch (Throwable t) {
      exitCode = exitCodeOrRethrow(t, stderr);
    } finally {
      recycle(instance);
    }
    if (Thread.interrupted()) {
      // Interrupted inside a host call that swallowed it: still a stopped guest.
      throw new GuestFailure(
          GuestFailure.Kind.INTERRUPTED, "interrupted", stderr.toByteArray(), null);
    }
    return new GuestResult(exitCode, stdout.toByteArray(), stderr.toByteArray(), prepareNanos);
  }

  private Memory memory(MemoryLimits limits) {
    Memory spare = spareMemories.poll();
    if (spare != null) {
      spareCount.decrementAndGet();
    } else {
      spare =
          memoryImage != null ? new CowMemory(memoryImage, limits) : new ByteArrayMemory(limits);
    }
    if (spare instanceof CowMemory) {
      ((CowMemory) spare).growthListener(growthListener);
    }
    return spare;
  }

  private void recycle(Instance instance) {
    if (instance == null || memoryLimits == null) {
      return;
    }
    Memory memory = instance.memory();
    if (memory instanceof CowMemory) {
      // Reset now, not when it is next used: a memory waiting in the pool keeps only its
      // bounded spare buffers, never what the run wrote (which may be up to max_memory).
      memory.zero();
    } else if (memory.pages() != memoryLimits.initialPages()) {
      return; // grown: it cannot start like a new one
    }
    if (spareCount.incrementAndGet() <= MAX_SPARE_MEMORIES) {
      spareMemories.offer(memory);
    } else {
      spareCount.decrementAndGet();
    }
  }

  /** Sorts out how a guest ended abnormally: an exit code is a result, the rest are failures. */
  private static int exitCodeOrRethrow(Throwable thrown, BoundedOutput stderr) throws GuestFailure {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof WasiExitException) {
        return ((WasiExitException) t).exitCode();
      }
      if (t instanceof ExecutionCompletedException) {
        return 0;
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
    // Deep guest recursion and huge guest memories surface as these two; other Errors are ours.
    boolean guestError = thrown instanceof StackOverflowError || thrown instanceof OutOfMemoryError;
    if (thrown instanceof Error && !guestError) {
      throw (Error) thrown;
    }
    String message = thrown.getMessage() == null ? thrown.toString() : thrown.getMessage();
    if (thrown instanceof StackOverflowError) {
      message = "call stack exhausted";
    }
    throw new GuestFailure(GuestFailure.Kind.TRAP, message, stderr.toByteArray(), thrown);
  }
}
