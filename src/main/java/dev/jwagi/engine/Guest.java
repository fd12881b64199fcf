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
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.jwagi.memory.MemoryBudget;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  /** The guest paths of {@link #volumes} the guest may only read. */
  private final Set<String> readOnlyVolumes;

  private final long maxOutputBytes;
  private final OutboundHttp.Policy outbound;
  private final MemoryBudget budget;
  private volatile Runnable onGrowRefused = () -> {};
  private volatile int maxTableElements = Integer.MAX_VALUE;

  /** The module's initial memory, for copy-on-write memories; null: Chicory's own memory. */
  private final CowMemory.Image memoryImage;

  /**
   * Linear memories of finished runs, for reuse, each with its share of the memory budget (it stays
   * charged while pooled). A {@link CowMemory} is reset when its run ends and keeps only the
   * buffers of the chunks it copied, so a later run copies into them instead of allocating; Chicory
   * resets a memory ({@code zero}, then {@code initialize}) whenever an instance takes it, so a
   * reused memory starts exactly as a new one. Chicory's own memories (modules that are not
   * copy-on-write) come back only if they did not grow: they cannot shrink to their initial size.
   */
  private final Spare[] spareMemories = new Spare[MAX_SPARE_MEMORIES];

  /** How many of {@link #spareMemories} are set (the first ones); guarded by that array. */
  private int spareCount;

  private static final int MAX_SPARE_MEMORIES = 64;

  /** A linear memory and its charge to the budget (null when there is no budget). */
  private record Spare(Memory memory, MemoryCharge charge) {}

  /** Builds instances without re-deriving per run what depends on the module only. */
  private final JwagiInstanceTemplate template;

  Guest(
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      ImportValues imports,
      MemoryLimits memoryLimits,
      Map<String, Path> volumes,
      Set<String> readOnlyVolumes,
      long maxOutputBytes,
      OutboundHttp.Policy outbound,
      MemoryBudget budget,
      CowMemory.Image memoryImage,
      Snapshot snapshot) {
    this.module = module;
    this.machineFactory = machineFactory;
    this.imports = imports;
    this.memoryLimits = memoryLimits;
    this.volumes = volumes;
    this.readOnlyVolumes = readOnlyVolumes;
    this.maxOutputBytes = maxOutputBytes;
    this.outbound = outbound;
    this.budget = budget;
    var template = JwagiInstanceTemplate.of(module, imports, machineFactory, memoryLimits);
    if (snapshot != null) {
      // CompiledModule pre-initialises only modules that have a template and a copy-on-write
      // memory.
      this.memoryImage = snapshot.memory();
      this.template = template.restoring(snapshot.state(), memoryLimits);
    } else {
      this.memoryImage = memoryLimits == null ? null : memoryImage;
      this.template = template;
    }
  }

  /**
   * Runs {@code export} once in a fresh instance (as Wizer runs {@code wizer.initialize}), without
   * arguments, environment, stdin or volumes, and takes the instance's state when it returns: the
   * snapshot that instances of a pre-initialised module start from. The export must return: an exit
   * ({@code proc_exit}, whatever its code) is a failure, as in Wizer.
   *
   * @param stdout where the export's stdout goes as it comes
   * @param stderr where its stderr goes as it comes
   * @throws GuestFailure if it trapped, was interrupted or wrote too much
   * @throws ModuleLoadException if it exited, or the module or its state cannot be snapshotted
   */
  Snapshot snapshot(String export, OutputStream stdout, OutputStream stderr)
      throws GuestFailure, ModuleLoadException {
    if (template == null || memoryImage == null) {
      throw new ModuleLoadException(
          "it cannot be pre-initialised: that needs one memory of the module's own (not shared)"
              + " and function imports only");
    }
    Snapshot[] taken = new Snapshot[1];
    String[] refused = new String[1];
    StringBlock none = StringBlock.of(List.of());
    GuestResult result =
        run(
            export,
            none,
            none,
            InputStream.nullInputStream(),
            stdout,
            stderr,
            (instance, memory) -> {
              var cow = (CowMemory) memory;
              try {
                taken[0] =
                    new Snapshot(template.snapshot(instance, cow.dataSegments()), cow.snapshot());
              } catch (IllegalStateException e) {
                refused[0] = e.getMessage();
              }
            });
    if (refused[0] != null) {
      throw new ModuleLoadException("its state after the init cannot be kept: " + refused[0]);
    }
    if (taken[0] == null) {
      throw new ModuleLoadException(
          "it exited with code " + result.exitCode() + " (an init export must return)");
    }
    return taken[0];
  }

  /**
   * The snapshot {@code key} in {@code cache} made by {@code export} in an earlier run of this
   * guest's module (see {@link #snapshot}), or null if there is none that verifies (then a warning
   * says the init runs instead).
   */
  Snapshot cachedSnapshot(DiskCache cache, String key, String export) {
    if (template == null || memoryImage == null) {
      return null;
    }
    return cache.read(
        key,
        ".snapshot",
        "running " + export + " instead",
        in ->
            Snapshot.readFrom(
                template,
                module.digest(),
                export,
                memoryLimits.maximumPages(),
                new DataInputStream(in)));
  }

  /** Keeps {@code snapshot}, made by {@link #snapshot}, in {@code cache} under {@code key}. */
  void keepSnapshot(Snapshot snapshot, DiskCache cache, String key, String export)
      throws IOException {
    cache.write(
        key,
        ".snapshot",
        out -> {
          var data = new DataOutputStream(out);
          snapshot.writeTo(template, module.digest(), export, data);
          data.flush();
        });
  }

  /** The most pages a run's memory may have (the module's maximum within the route's cap). */
  int maxPages() {
    return memoryLimits == null ? 0 : memoryLimits.maximumPages();
  }

  /** What a run does with its instance when the entrypoint returned, before the memory goes. */
  private interface Capture {
    void taken(Instance instance, Memory memory);
  }

  /** Called (once per run) when a memory.grow is refused because the memory budget is full. */
  public void onGrowRefused(Runnable action) {
    this.onGrowRefused = action;
  }

  /**
   * Caps the elements of a run's tables together (the route's {@code max_table_elements}): a {@code
   * table.grow} beyond returns -1. Set at start-up, before serving.
   */
  public void maxTableElements(int cap) {
    this.maxTableElements = cap;
  }

  /**
   * {@link #run(String, StringBlock, StringBlock, InputStream, OutputStream, OutputStream)} with
   * argv and env given as strings (encoded if the guest asks for them, so they must not change
   * during the run), and stderr collected for the result (start-up runs: {@code _routes},
   * wat2wasm).
   */
  public GuestResult run(
      String entrypoint,
      List<String> argv,
      Map<String, String> env,
      InputStream stdin,
      OutputStream stdout)
      throws GuestFailure {
    StringBlock variables =
        StringBlock.deferred(
            () -> {
              List<String> list = new ArrayList<>(env.size());
              env.forEach((name, value) -> list.add(name + "=" + value));
              return StringBlock.of(list);
            });
    return run(
        entrypoint,
        StringBlock.deferred(() -> StringBlock.of(argv)),
        variables,
        stdin,
        stdout,
        null);
  }

  /**
   * Runs {@code entrypoint} in a fresh instance on the calling thread: the guest reads {@code
   * stdin} and writes to {@code stdout} as it runs (both may block; an IOException reaches the
   * guest as EIO). Interrupting the thread stops the guest ({@link GuestFailure.Kind#INTERRUPTED}).
   * Errors that are not the guest's fault (the JVM out of memory, a bug of ours) are thrown as they
   * are.
   *
   * @param argv the guest's arguments, as its {@code args_get} returns them
   * @param env the guest's environment ({@code NAME=value}), as its {@code environ_get} returns it
   * @param stderrTarget where the guest's stderr goes as it comes (then the result's and failure's
   *     stderr are empty); null collects it for the result
   */
  public GuestResult run(
      String entrypoint,
      StringBlock argv,
      StringBlock env,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderrTarget)
      throws GuestFailure {
    return run(entrypoint, argv, env, stdin, stdout, stderrTarget, null);
  }

  private GuestResult run(
      String entrypoint,
      StringBlock argv,
      StringBlock env,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderrTarget,
      Capture capture)
      throws GuestFailure {
    long started = System.nanoTime();
    var stdio = new Stdio(stdin, stdout, stderrTarget, maxOutputBytes);
    var host =
        new WasiLink.GuestWasi(
            volumes, readOnlyVolumes, argv, env, outbound, maxOutputBytes, stdio);
    Spare memory = null;
    MemoryTaken memories = null;
    var tables = new GuestTables(maxTableElements, budget);
    int exitCode = 0;
    long prepareNanos = 0;
    WasiLink.GuestWasi outer = WasiLink.enter(host);
    try (host) {
      Instance instance;
      if (template != null) {
        MemoryLimits limits = template.memoryLimits();
        memory = limits == null ? null : memory(limits);
        instance = template.newInstance(memory == null ? null : memory.memory(), tables);
        prepareNanos = System.nanoTime() - started;
        template.call(instance, entrypoint);
        if (capture != null) {
          capture.taken(instance, memory == null ? null : memory.memory());
        }
      } else {
        memories = new MemoryTaken();
        var builder =
            Instance.builder(module)
                .withMachineFactory(machineFactory)
                .withImportValues(imports)
                .withTableFactory(tables)
                .withStart(false);
        if (memoryLimits != null) {
          builder.withMemoryLimits(memoryLimits).withMemoryFactory(memories);
        }
        instance = builder.build();
        prepareNanos = System.nanoTime() - started;
        instance.export(entrypoint).apply();
      }
    } catch (Throwable t) {
      exitCode = exitCodeOrRethrow(t, stdio);
    } finally {
      WasiLink.exit(outer);
      tables.release();
      recycle(memory);
      if (memories != null) {
        memories.recycle();
      }
    }
    if (Thread.interrupted()) {
      // Interrupted inside a host call that swallowed it: still a stopped guest.
      throw new GuestFailure(
          GuestFailure.Kind.INTERRUPTED, "interrupted", stdio.collectedStderr(), null);
    }
    return new GuestResult(exitCode, stdio.collectedStderr(), prepareNanos);
  }

  /**
   * Makes a run's memories (as Chicory asks for them) and keeps them, to recycle when the run ends.
   * The first is the route's (pooled); a module with several memories gets the others new, charged
   * to the budget and released after the run.
   */
  private final class MemoryTaken implements Function<MemoryLimits, Memory> {
    private Spare taken;
    private List<Spare> others;

    @Override
    public Memory apply(MemoryLimits limits) {
      if (taken == null) {
        taken = memory(limits);
        return taken.memory();
      }
      if (others == null) {
        others = new ArrayList<>();
      }
      Spare other = newMemory(limits, false);
      others.add(other);
      return other.memory();
    }

    void recycle() {
      Guest.this.recycle(taken);
      if (others != null) {
        for (Spare other : others) {
          if (other.charge() != null) {
            other.charge().release();
          }
        }
      }
    }
  }

  /**
   * A memory for a new instance: a spare one, else a new one charged to the memory budget (which
   * may wait briefly for room, or throw {@link MemoryBudget.Exhausted}). A copy-on-write memory is
   * charged its initial size and each growth; Chicory's own memory, whose growth cannot be watched,
   * its whole maximum up front.
   */
  private Spare memory(MemoryLimits limits) {
    Spare spare = null;
    synchronized (spareMemories) {
      // The most recently used first: its buffers are the likeliest to be in a cache.
      if (spareCount > 0) {
        spare = spareMemories[--spareCount];
        spareMemories[spareCount] = null;
      }
    }
    if (spare != null) {
      if (spare.charge() != null) {
        spare.charge().newRun();
      }
      return spare;
    }
    return newMemory(limits, memoryImage != null);
  }

  /** A new memory charged to the budget: copy-on-write, or Chicory's own. */
  private Spare newMemory(MemoryLimits limits, boolean cow) {
    MemoryCharge charge =
        budget == null
            ? null
            : MemoryCharge.reserve(
                budget,
                (cow ? limits.initialPages() : limits.maximumPages()) * MemoryCharge.PAGE
                    + 8L * limits.maximumPages(),
                () -> onGrowRefused.run());
    try {
      if (!cow) {
        return new Spare(new ByteArrayMemory(limits), charge);
      }
      CowMemory memory = new CowMemory(memoryImage, limits);
      memory.growthListener(charge == null ? GrowthListener.UNLIMITED : charge);
      return new Spare(memory, charge);
    } catch (RuntimeException | Error e) {
      if (charge != null) {
        charge.release();
      }
      throw e;
    }
  }

  /** A run's memory is done: kept for reuse (still charged for its initial size), else released. */
  private void recycle(Spare spare) {
    if (spare == null) {
      return;
    }
    Memory memory = spare.memory();
    boolean reusable;
    if (memory instanceof CowMemory) {
      // Reset now, not when it is next used: a memory waiting in the pool keeps only its
      // bounded spare buffers, never what the run wrote (which may be up to max_memory).
      memory.zero();
      if (spare.charge() != null) {
        spare.charge().backToInitial();
      }
      reusable = true;
    } else {
      reusable = memory.pages() == memoryLimits.initialPages(); // grown: cannot start like new
    }
    if (reusable) {
      synchronized (spareMemories) {
        if (spareCount < MAX_SPARE_MEMORIES) {
          spareMemories[spareCount++] = spare;
          return;
        }
      }
    }
    if (spare.charge() != null) {
      spare.charge().release();
    }
  }

  /** Sorts out how a guest ended abnormally: an exit code is a result, the rest are failures. */
  private static int exitCodeOrRethrow(Throwable thrown, Stdio stdio) throws GuestFailure {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof WasiExitException) {
        return ((WasiExitException) t).exitCode();
      }
      if (t instanceof ExecutionCompletedException) {
        return 0;
      }
      if (t instanceof MemoryBudget.Exhausted) {
        throw new GuestFailure(
            GuestFailure.Kind.OVER_BUDGET, t.getMessage(), stdio.collectedStderr(), t);
      }
      if (t instanceof BoundedOutput.LimitExceeded) {
        throw new GuestFailure(
            GuestFailure.Kind.OUTPUT_LIMIT, t.getMessage(), stdio.collectedStderr(), t);
      }
      if (t instanceof ChicoryInterruptedException || t instanceof InterruptedException) {
        Thread.interrupted(); // the interruption is handled here: the thread goes back to work
        throw new GuestFailure(
            GuestFailure.Kind.INTERRUPTED, "interrupted", stdio.collectedStderr(), t);
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
    throw new GuestFailure(GuestFailure.Kind.TRAP, message, stdio.collectedStderr(), thrown);
  }
}
