package dev.jwagi.engine;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.jwagi.memory.MemoryBudget;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A wasm module parsed, compiled to JVM bytecode and linked to WASI once, at start-up. Routes that
 * use the same module share it; each route then {@link #prepare}s a {@link Guest} with its own
 * volumes and limits.
 */
public final class CompiledModule {
  private final WasmModule module;
  private final Function<Instance, Machine> machineFactory;
  private final ImportValues imports;
  private final Set<String> exportedFunctions;
  private final boolean cacheHit;

  /** The initial memory every instance starts from, shared by all routes of the module. */
  private final CowMemory.Image memoryImage;

  private CompiledModule(
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      ImportValues imports,
      Set<String> exportedFunctions,
      boolean cacheHit) {
    this.module = module;
    this.machineFactory = machineFactory;
    this.imports = imports;
    this.exportedFunctions = exportedFunctions;
    this.cacheHit = cacheHit;
    this.memoryImage = copyOnWrite(module) ? new CowMemory.Image(initialPages(module)) : null;
  }

  /**
   * Whether instances get a {@link CowMemory}: exactly one memory, defined by the module (not
   * imported) and not shared; other modules get Chicory's own memory.
   */
  private static boolean copyOnWrite(WasmModule module) {
    var memories = module.memorySection();
    return memories.isPresent()
        && memories.get().memoryCount() == 1
        && !memories.get().getMemory(0).limits().shared()
        && module.importSection().count(ExternalType.MEMORY) == 0;
  }

  private static int initialPages(WasmModule module) {
    return module.memorySection().get().getMemory(0).limits().initialPages();
  }

  /**
   * Parses, links and compiles {@code wasm}. With a cache, compiled classes are reused across
   * restarts. Throws with a message fit to follow the module's name in an error.
   */
  public static CompiledModule compile(byte[] wasm, DiskCache cache) throws ModuleLoadException {
    // A cache entry exists only for bytes (keyed by their SHA-256) that were validated when they
    // were compiled, and whoever can write the cache can change the compiled code anyway, so a
    // hit skips Chicory's validation (~20% of parsing, at start-up while the JIT is cold).
    WasmModule module = parse(wasm, cache == null);
    boolean cacheHit = cache != null && cache.contains(module.digest());
    if (cache != null && !cacheHit) {
      module = parse(wasm, true);
    }
    ImportValues imports = WasiLink.link(module);
    Set<String> exported = new HashSet<>();
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).exportType() == ExternalType.FUNCTION) {
        exported.add(exports.getExport(i).name());
      }
    }
    Function<Instance, Machine> factory;
    try {
      var builder = MachineFactoryCompiler.builder(module);
      if (cache != null) {
        builder.withCache(cache);
      }
      factory = builder.compile();
    } catch (ChicoryException e) {
      throw new ModuleLoadException("it cannot be compiled: " + e.getMessage(), e);
    }
    return new CompiledModule(module, factory, imports, Set.copyOf(exported), cacheHit);
  }

  private static WasmModule parse(byte[] wasm, boolean validate) throws ModuleLoadException {
    try {
      return Parser.builder()
          .withValidation(validate)
          .build()
          .parse(() -> new ByteArrayInputStream(wasm));
    } catch (ChicoryException | IllegalArgumentException e) {
      throw new ModuleLoadException("it is not a valid WebAssembly module: " + e.getMessage(), e);
    }
  }

  /** Whether the compiled classes came from the on-disk cache. */
  public boolean cacheHit() {
    return cacheHit;
  }

  public boolean exportsFunction(String name) {
    return exportedFunctions.contains(name);
  }

  /**
   * Prepares this module for one route: its volumes (guest path → existing host directory, in
   * order), limits and what its outbound HTTP may do. Fails if the module's initial memory is
   * already over the cap.
   */
  public Guest prepare(
      Map<String, Path> volumes,
      long maxMemoryBytes,
      long maxOutputBytes,
      OutboundHttp.Policy outbound)
      throws ModuleLoadException {
    return prepare(volumes, maxMemoryBytes, maxOutputBytes, outbound, null);
  }

  /**
   * Like {@link #prepare(Map, long, long, OutboundHttp.Policy)}, with guest memories charged to
   * {@code budget} (null: not charged, for start-up tools).
   */
  public Guest prepare(
      Map<String, Path> volumes,
      long maxMemoryBytes,
      long maxOutputBytes,
      OutboundHttp.Policy outbound,
      MemoryBudget budget)
      throws ModuleLoadException {
    Map<String, Path> realVolumes = new LinkedHashMap<>();
    List<Path> roots = new ArrayList<>();
    for (var volume : volumes.entrySet()) {
      Path host = volume.getValue(); // checked to be a directory by the config loader
      try {
        Path real = host.toRealPath();
        realVolumes.put(volume.getKey(), real);
        roots.add(real);
      } catch (IOException e) {
        throw new ModuleLoadException(
            "volume \"" + volume.getKey() + "\": cannot resolve " + host + ": " + e, e);
      }
    }
    try {
      return newGuest(realVolumes, roots, maxMemoryBytes, maxOutputBytes, outbound, budget);
    } catch (ChicoryException e) {
      throw new ModuleLoadException("it cannot be instantiated: " + e.getMessage(), e);
    }
  }

  private Guest newGuest(
      Map<String, Path> realVolumes,
      List<Path> roots,
      long maxMemoryBytes,
      long maxOutputBytes,
      OutboundHttp.Policy outbound,
      MemoryBudget budget)
      throws ModuleLoadException {
    return new Guest(
        module,
        machineFactory,
        imports,
        memoryLimits(maxMemoryBytes),
        Collections.unmodifiableMap(realVolumes),
        new VolumeGuard(List.copyOf(roots)),
        maxOutputBytes,
        outbound,
        budget,
        memoryImage);
  }

  /** The module's declared memory with its maximum lowered to the cap; null if it has none. */
  private MemoryLimits memoryLimits(long maxMemoryBytes) throws ModuleLoadException {
    if (module.memorySection().isEmpty() || module.memorySection().get().memoryCount() == 0) {
      return null;
    }
    MemoryLimits declared = module.memorySection().get().getMemory(0).limits();
    int capPages = (int) Math.min(MemoryLimits.MAX_PAGES, maxMemoryBytes / 65536);
    int maxPages = Math.min(declared.maximumPages(), capPages);
    if (declared.initialPages() > maxPages) {
      throw new ModuleLoadException(
          "it needs "
              + declared.initialPages() * 64L
              + " KiB of memory at start, more than the memory cap of "
              + maxMemoryBytes / 1024
              + " KiB");
    }
    return new MemoryLimits(declared.initialPages(), maxPages, declared.shared());
  }
}
