package dev.jwagi.engine;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.CodeSection;
import com.dylibso.chicory.wasm.types.CustomSection;
import com.dylibso.chicory.wasm.types.DataCountSection;
import com.dylibso.chicory.wasm.types.DataSection;
import com.dylibso.chicory.wasm.types.ElementSection;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionSection;
import com.dylibso.chicory.wasm.types.GlobalSection;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.SectionId;
import com.dylibso.chicory.wasm.types.StartSection;
import com.dylibso.chicory.wasm.types.TableSection;
import com.dylibso.chicory.wasm.types.TagSection;
import com.dylibso.chicory.wasm.types.TypeSection;
import dev.jwagi.engine.split.JvmMethodSizes;
import dev.jwagi.engine.split.Splitter;
import dev.jwagi.memory.MemoryBudget;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wasm module parsed, compiled to JVM bytecode and linked to WASI once, at start-up. Routes that
 * use the same module share it; each route then {@link #prepare}s a {@link Guest} with its own
 * volumes and limits.
 */
public final class CompiledModule {
  private static final Logger log = LoggerFactory.getLogger(CompiledModule.class);

  private final WasmModule module;
  private final Function<Instance, Machine> machineFactory;
  private final ImportValues imports;
  private final Set<String> exportedFunctions;
  private final boolean cacheHit;

  /** Where compiled classes and snapshots are kept; null: nowhere. */
  private final DiskCache cache;

  /** How the module is named in what is logged. */
  private final String name;

  /** Whether {@link #snapshot} came from the module cache (the init did not run). */
  private final boolean snapshotCached;

  /** The initial memory every instance starts from, shared by all routes of the module. */
  private final CowMemory.Image memoryImage;

  /** What instances start from when this is the module pre-initialised; else null. */
  private final Snapshot snapshot;

  /**
   * The module this one pre-initialises (null: this is it). Kept so that whoever holds this holds
   * that too, and with it its snapshots: a reload finds the module by its bytes, and reuses them.
   */
  private final CompiledModule base;

  /**
   * This module pre-initialised, by init export and volumes, with the volumes' stamp it was made
   * with (see {@link #initialized}): only the latest is kept, since a changed file makes the older
   * one stale.
   */
  private final Map<InitKey, Initialized> initialized = new HashMap<>(); // guarded by itself

  /** What a snapshot depends on besides the module and files: the export, the volumes in order. */
  private record InitKey(String export, List<Map.Entry<String, Path>> volumes) {}

  private record Initialized(String stamp, CompiledModule module) {}

  /**
   * The init exports of Wizer's convention, by which a module asks to be pre-initialised: {@code
   * wizer.initialize} (Wizer up to 10) and {@code wizer-initialize} (Wizer 11's default).
   */
  static final List<String> WIZER_INIT_EXPORTS = List.of("wizer.initialize", "wizer-initialize");

  private CompiledModule(
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      ImportValues imports,
      Set<String> exportedFunctions,
      boolean cacheHit,
      DiskCache cache,
      String name) {
    this.module = module;
    this.machineFactory = machineFactory;
    this.imports = imports;
    this.exportedFunctions = exportedFunctions;
    this.cacheHit = cacheHit;
    this.cache = cache;
    this.name = name;
    this.snapshotCached = false;
    this.memoryImage = copyOnWrite(module) ? new CowMemory.Image(initialPages(module)) : null;
    this.snapshot = null;
    this.base = null;
  }

  /** {@code base}, its instances starting from {@code snapshot}. */
  private CompiledModule(CompiledModule base, Snapshot snapshot, boolean snapshotCached) {
    this.module = base.module;
    this.machineFactory = base.machineFactory;
    this.imports = base.imports;
    this.exportedFunctions = base.exportedFunctions;
    this.cacheHit = base.cacheHit;
    this.cache = base.cache;
    this.name = base.name;
    this.snapshotCached = snapshotCached;
    this.memoryImage = snapshot.memory();
    this.snapshot = snapshot;
    this.base = base;
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
    return compile(wasm, cache, "module");
  }

  /**
   * Like {@link #compile(byte[], DiskCache)}; {@code name} names the module (and its routes) in
   * what is logged while compiling.
   */
  public static CompiledModule compile(byte[] wasm, DiskCache cache, String name)
      throws ModuleLoadException {
    // Functions too large for one JVM method are split first (see Splitter), so that Chicory
    // compiles them too. Chicory's cache key stays the digest of the bytes it compiles. An import
    // jwagi cannot provide fails either way: found before splitting, it is said once, with no
    // splitter fallback and no second compile.
    if (Splitter.hasLargeFunctions(wasm)) {
      WasiLink.link(imports(wasm));
    }
    byte[] split = split(wasm, cache, name);
    if (split != wasm) {
      try {
        return compileBytes(split, cache, name);
      } catch (ModuleLoadException | RuntimeException | LinkageError e) {
        // A splitter bug (or a Chicory one its output meets): today's behaviour, and say so.
        log.warn("{}: its split functions did not compile, compiled unsplit instead", name, e);
      }
    }
    return compileBytes(wasm, cache, name);
  }

  private static CompiledModule compileBytes(byte[] code, DiskCache cache, String name)
      throws ModuleLoadException {
    // A cache entry exists only for bytes (keyed by their SHA-256) that were validated when they
    // were compiled, and whoever can write the cache can change the compiled code anyway, so a
    // hit skips Chicory's validation (~20% of parsing, at start-up while the JIT is cold).
    // The key is looked up before parsing, so that a miss parses once (with validation): zeroperl
    // parsed is 170 MB of garbage, and compiling it grew G1's heap the more for it.
    String key = cache == null ? null : chicoryKey(code);
    boolean cacheHit = key != null && cache.contains(key);
    // A hit on classes that compile every function needs no function bodies: parsing zeroperl's
    // 2,453 into objects took 2.9 of the 3 s its start from the cache took.
    WasmModule module =
        cacheHit && cache.contains(allCompiledKey(key))
            ? withoutBodies(code, key)
            : parse(code, !cacheHit);
    if (cacheHit && !key.equals(module.digest())) {
      // Chicory keyed it otherwise (its digest algorithm property): validate as on a miss.
      module = parse(code, true);
      cacheHit = cache.contains(module.digest());
    }
    ImportValues imports = WasiLink.link(module);
    Set<String> exported = new HashSet<>();
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).exportType() == ExternalType.FUNCTION) {
        exported.add(exports.getExport(i).name());
      }
    }
    Function<Instance, Machine> factory = machineFactory(module, cache, name);
    return new CompiledModule(
        module, factory, imports, Set.copyOf(exported), cacheHit, cache, name);
  }

  /**
   * The module with its too-large functions split, or as it is when it has none. With a cache, the
   * pass's output is kept there under the original bytes' digest (and the pass's version), so a
   * restart reads it instead of splitting again (zeroperl: 3.6 s on a cold JVM).
   */
  private static byte[] split(byte[] wasm, DiskCache cache, String name) {
    if (!Splitter.hasLargeFunctions(wasm)) {
      return wasm;
    }
    String key = cache == null ? null : "split" + Splitter.VERSION + "-" + sha256(wasm);
    if (key != null) {
      try {
        byte[] kept = cache.get(key);
        if (kept != null) {
          return kept.length == 0 ? wasm : kept;
        }
      } catch (IOException e) {
        log.warn("{}: cannot read its split from the module cache, splitting again: {}", name, e);
      }
    }
    Splitter.Result result = Splitter.split(wasm);
    for (String reason : result.notSplit()) {
      log.warn(
          "{}: {}; it may run in the JVM's bytecode interpreter or Chicory's, much slower",
          name,
          reason);
    }
    for (String reason : result.wide()) {
      log.warn("{}: {}: they run C1's code, slower", name, reason);
    }
    if (result.changed()) {
      log.info(
          "{}: split {} functions too large for HotSpot to JIT-compile into {} more",
          name,
          result.split().size(),
          result.created());
    }
    if (key != null) {
      try {
        cache.putIfAbsent(key, result.changed() ? result.wasm() : new byte[0]);
      } catch (IOException e) {
        log.warn("{}: cannot keep its split in the module cache: {}", name, e);
      }
    }
    return result.changed() ? result.wasm() : wasm;
  }

  /**
   * The key Chicory's compiler looks its cache up by: the module's digest as its parser writes it,
   * {@code sha-256:<base64>} (checked against the parsed module's digest, see compileBytes).
   */
  static String chicoryKey(byte[] code) {
    try {
      return "sha-256:"
          + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(code));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Compiles with Chicory. A function it still cannot fit in a JVM method runs in its interpreter:
   * logged here (Chicory's own warning goes to System.err, past our logging), then compiled again
   * with that function named as interpreted.
   */
  private static Function<Instance, Machine> machineFactory(
      WasmModule module, DiskCache cache, String name) throws ModuleLoadException {
    Set<Integer> interpreted = new TreeSet<>();
    while (true) {
      try {
        var builder =
            MachineFactoryCompiler.builder(module)
                .withInterpreterFallback(InterpreterFallback.FAIL);
        if (!interpreted.isEmpty()) {
          builder.withInterpretedFunctions(interpreted);
        }
        var sizes = new MethodSizeWatch(cache);
        builder.withCache(sizes);
        var factory = builder.compile();
        sizes.warnOfHugeMethods(module, name);
        if (sizes.compiled != null && interpreted.isEmpty() && cache != null) {
          try {
            cache.putIfAbsent(allCompiledKey(module.digest()), new byte[0]);
          } catch (IOException e) {
            log.debug("{}: cannot note in the module cache that it is all compiled: {}", name, e);
          }
        }
        return factory;
      } catch (ChicoryException e) {
        Integer function = tooLargeFunction(e);
        if (function == null || !interpreted.add(function)) {
          throw new ModuleLoadException("it cannot be compiled: " + e.getMessage(), e);
        }
        log.warn(
            "{}: wasm function {} is too large for a JVM method: it runs in Chicory's"
                + " interpreter, much slower",
            name,
            functionName(module, function));
      }
    }
  }

  /**
   * Passes Chicory's compiled classes on to the module cache (if any) and reads, as they pass, the
   * size of each function's JVM method: HotSpot never JIT-compiles one over its huge-method limit
   * (a split piece can still exceed it when its exits grew it), and nothing else would say so. On a
   * cache hit Chicory hands nothing over: the warning was given when the entry was made.
   */
  private static final class MethodSizeWatch implements Cache {
    private final DiskCache cache;
    private byte[] compiled;

    MethodSizeWatch(DiskCache cache) {
      this.cache = cache;
    }

    @Override
    public byte[] get(String key) throws IOException {
      return cache == null ? null : cache.get(key);
    }

    @Override
    public void putIfAbsent(String key, byte[] data) throws IOException {
      compiled = data;
      if (cache != null) {
        cache.putIfAbsent(key, data);
      }
    }

    void warnOfHugeMethods(WasmModule module, String name) {
      if (compiled == null || !JvmMethodSizes.hugeMethodsStayInterpreted()) {
        return;
      }
      try {
        for (var method : JvmMethodSizes.of(compiled).entrySet()) {
          if (method.getValue() > JvmMethodSizes.HUGE_METHOD_BYTES) {
            log.warn(
                "{}: wasm function {} compiled to {} bytes of JVM bytecode, over HotSpot's"
                    + " {}-byte limit for JIT compilation: it runs in the JVM's bytecode"
                    + " interpreter, much slower",
                name,
                functionName(module, method.getKey()),
                method.getValue(),
                JvmMethodSizes.HUGE_METHOD_BYTES);
          }
        }
      } catch (IOException | RuntimeException e) {
        log.debug("{}: cannot read its compiled method sizes: {}", name, e.toString());
      }
    }
  }

  private static final Pattern TOO_LARGE = Pattern.compile("WASM function index: (\\d+)");

  /**
   * The function Chicory (in FAIL mode) refused as too large for a JVM method, or null for any
   * other failure. Reaches into Chicory's message (guarded by CompiledModuleTest).
   */
  static Integer tooLargeFunction(ChicoryException e) {
    if (e.getCause() == null
        || !e.getCause().getClass().getSimpleName().equals("MethodTooLargeException")
        || e.getMessage() == null) {
      return null;
    }
    Matcher m = TOO_LARGE.matcher(e.getMessage());
    return m.find() ? Integer.valueOf(m.group(1)) : null;
  }

  private static String functionName(WasmModule module, int function) {
    String symbol =
        module.nameSection() == null ? null : module.nameSection().nameOfFunction(function);
    return symbol == null ? String.valueOf(function) : function + " (" + symbol + ")";
  }

  /**
   * The entry, beside the compiled classes under Chicory's {@code key}, that says they compile
   * every function: none runs in Chicory's interpreter, which alone reads function bodies.
   */
  static String allCompiledKey(String key) {
    return "all-compiled-" + key;
  }

  /**
   * {@code wasm} parsed but for its code section, whose bodies are empty stand-ins, and with
   * Chicory's digest {@code key}: what an instance needs when the compiled classes come from the
   * cache and run every function (see {@link #allCompiledKey}). A Chicory internal: the bodies are
   * read only by its interpreter (see docs/architecture.md).
   */
  private static WasmModule withoutBodies(byte[] wasm, String key) throws ModuleLoadException {
    var parser = Parser.builder().withValidation(false);
    for (int id = SectionId.CUSTOM; id <= SectionId.TAG; id++) {
      if (id != SectionId.CODE) {
        parser.includeSectionId(id);
      }
    }
    WasmModule.Builder module = WasmModule.builder().withValidation(false).withDigest(key);
    int[] functions = {0};
    try {
      parser
          .build()
          .parse(
              new ByteArrayInputStream(wasm),
              section -> {
                switch (section.sectionId()) {
                  case SectionId.CUSTOM -> {
                    var custom = (CustomSection) section;
                    module.addCustomSection(custom.name(), custom);
                  }
                  case SectionId.TYPE -> module.setTypeSection((TypeSection) section);
                  case SectionId.IMPORT -> module.setImportSection((ImportSection) section);
                  case SectionId.FUNCTION -> {
                    module.setFunctionSection((FunctionSection) section);
                    functions[0] = ((FunctionSection) section).functionCount();
                  }
                  case SectionId.TABLE -> module.setTableSection((TableSection) section);
                  case SectionId.MEMORY -> module.setMemorySection((MemorySection) section);
                  case SectionId.GLOBAL -> module.setGlobalSection((GlobalSection) section);
                  case SectionId.EXPORT -> module.setExportSection((ExportSection) section);
                  case SectionId.START -> module.setStartSection((StartSection) section);
                  case SectionId.ELEMENT -> module.setElementSection((ElementSection) section);
                  case SectionId.DATA -> module.setDataSection((DataSection) section);
                  case SectionId.DATA_COUNT ->
                      module.setDataCountSection((DataCountSection) section);
                  case SectionId.TAG -> module.setTagSection((TagSection) section);
                  default -> module.addIgnoredSection(section.sectionId());
                }
              });
      CodeSection.Builder code = CodeSection.builder();
      FunctionBody none = new FunctionBody(List.of(), List.of());
      for (int f = 0; f < functions[0]; f++) {
        code.addFunctionBody(none);
      }
      return module.setCodeSection(code.build()).build();
    } catch (ChicoryException | IllegalArgumentException | ClassCastException e) {
      throw new ModuleLoadException("it is not a valid WebAssembly module: " + e.getMessage(), e);
    }
  }

  /** Only the type and import sections of {@code wasm}: what linking it needs. */
  private static WasmModule imports(byte[] wasm) throws ModuleLoadException {
    try {
      return Parser.builder()
          .withValidation(false)
          .includeSectionId(SectionId.TYPE)
          .includeSectionId(SectionId.IMPORT)
          .build()
          .parse(() -> new ByteArrayInputStream(wasm));
    } catch (ChicoryException | IllegalArgumentException e) {
      throw new ModuleLoadException("it is not a valid WebAssembly module: " + e.getMessage(), e);
    }
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

  /** The module's function bodies as parsed: empty ones for a hit that needs none. */
  List<Integer> functionBodySizes() {
    var bodies = module.codeSection().functionBodies();
    List<Integer> sizes = new java.util.ArrayList<>(bodies.length);
    for (var body : bodies) {
      sizes.add(body.instructions().size());
    }
    return sizes;
  }

  /** Whether the compiled classes came from the on-disk cache. */
  public boolean cacheHit() {
    return cacheHit;
  }

  /** Whether this pre-initialised module's snapshot came from the module cache (no init ran). */
  public boolean snapshotCached() {
    return snapshotCached;
  }

  public boolean exportsFunction(String name) {
    return exportedFunctions.contains(name);
  }

  /**
   * The init export by which the module asks to be pre-initialised (Wizer's convention), or null.
   * Throws if it exports both of Wizer's names: which one is meant is not clear.
   */
  public String wizerInitExport() throws ModuleLoadException {
    String found = null;
    for (String name : WIZER_INIT_EXPORTS) {
      if (exportsFunction(name)) {
        if (found != null) {
          throw new ModuleLoadException(
              "it exports both \""
                  + found
                  + "\" and \""
                  + name
                  + "\": give the one to run as `init`");
        }
        found = name;
      }
    }
    return found;
  }

  /**
   * This module pre-initialised by {@code export}: the export runs once, now, on the calling thread
   * (its deadline is the caller's), with no arguments, environment, stdin or outbound HTTP, with
   * {@code volumes} (the route's, in order) only readable, under the memory and output caps given;
   * its instance's memory, globals, tables and segments when it returns are what every run of the
   * result starts from (nothing of the module's initialisation runs again: data segments, start
   * function). The same export and volumes give the same result, run once: routes that share the
   * module, its init and their volumes share the snapshot. The volumes are part of that key because
   * what the init read from them, and the preopened descriptors wasi-libc listed, stay in memory.
   *
   * @param stdout where the init's stdout goes
   * @param stderr where the init's stderr goes
   * @throws GuestFailure if the export trapped, was interrupted or wrote past the output cap
   * @throws ModuleLoadException if the module does not export it, it exited, or its state cannot be
   *     carried over
   */
  public CompiledModule initialized(
      String export,
      Map<String, Path> volumes,
      long maxMemoryBytes,
      long maxOutputBytes,
      OutputStream stdout,
      OutputStream stderr)
      throws GuestFailure, ModuleLoadException {
    synchronized (initialized) {
      InitKey key = new InitKey(export, List.copyOf(volumes.entrySet()));
      // What the init read is in its snapshot: a changed volume makes a new one.
      String stamp;
      try {
        stamp = VolumePaths.stamp(volumes);
      } catch (IOException e) {
        throw new ModuleLoadException("cannot read its volumes for the init: " + e);
      }
      Initialized kept = initialized.get(key);
      if (kept != null && kept.stamp.equals(stamp)) {
        return kept.module;
      }
      if (!exportsFunction(export)) {
        throw new ModuleLoadException("it exports no function \"" + export + "\"");
      }
      Guest init =
          prepare(
              volumes,
              volumes.keySet(),
              maxMemoryBytes,
              maxOutputBytes,
              OutboundHttp.Policy.DENY_ALL,
              null);
      // The memory's maximum is in the key: the init can see it (a memory.grow past it fails).
      // So are the volumes: the preopened descriptors wasi-libc listed stay in the snapshot, and
      // their stamp: what the init read from them does too.
      String cacheKey =
          cache == null
              ? null
              : Snapshot.key(module.digest(), export, init.maxPages(), key.volumes(), stamp);
      Snapshot snapshot = cacheKey == null ? null : init.cachedSnapshot(cache, cacheKey, export);
      boolean cached = snapshot != null;
      if (!cached) {
        snapshot = init.snapshot(export, stdout, stderr);
        if (cacheKey != null) {
          try {
            init.keepSnapshot(snapshot, cache, cacheKey, export);
          } catch (IOException | IllegalStateException e) {
            log.warn(
                "{}: its snapshot after {} is not kept in the module cache: {}", name, export, e);
          }
        }
      }
      CompiledModule done = new CompiledModule(this, snapshot, cached);
      initialized.put(key, new Initialized(stamp, done));
      return done;
    }
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
    return prepare(volumes, Set.of(), maxMemoryBytes, maxOutputBytes, outbound, null);
  }

  /**
   * Like {@link #prepare(Map, long, long, OutboundHttp.Policy)}, with the volumes at the guest
   * paths in {@code readOnly} only readable, and guest memories charged to {@code budget} (null:
   * not charged, for start-up tools).
   */
  public Guest prepare(
      Map<String, Path> volumes,
      Set<String> readOnly,
      long maxMemoryBytes,
      long maxOutputBytes,
      OutboundHttp.Policy outbound,
      MemoryBudget budget)
      throws ModuleLoadException {
    Map<String, Path> realVolumes = new LinkedHashMap<>();
    for (var volume : volumes.entrySet()) {
      Path host = volume.getValue(); // checked to be a directory by the config loader
      try {
        Path real = host.toRealPath();
        GuestFiles.checkSupported(real);
        realVolumes.put(volume.getKey(), real);
      } catch (IOException e) {
        throw new ModuleLoadException(
            "volume \"" + volume.getKey() + "\": cannot resolve " + host + ": " + e, e);
      }
    }
    try {
      return newGuest(realVolumes, readOnly, maxMemoryBytes, maxOutputBytes, outbound, budget);
    } catch (ChicoryException e) {
      throw new ModuleLoadException("it cannot be instantiated: " + e.getMessage(), e);
    }
  }

  private Guest newGuest(
      Map<String, Path> realVolumes,
      Set<String> readOnly,
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
        Set.copyOf(readOnly),
        maxOutputBytes,
        outbound,
        budget,
        memoryImage,
        snapshot);
  }

  /** The module's declared memory with its maximum lowered to the cap; null if it has none. */
  private MemoryLimits memoryLimits(long maxMemoryBytes) throws ModuleLoadException {
    if (module.memorySection().isEmpty() || module.memorySection().get().memoryCount() == 0) {
      return null;
    }
    MemoryLimits declared = module.memorySection().get().getMemory(0).limits();
    int capPages = (int) Math.min(MemoryLimits.MAX_PAGES, maxMemoryBytes / 65536);
    int maxPages = Math.min(declared.maximumPages(), capPages);
    // Pre-initialised, a run starts with the memory as the init left it (maybe grown).
    int initialPages = snapshot == null ? declared.initialPages() : snapshot.memory().pages();
    if (initialPages > maxPages) {
      throw new ModuleLoadException(
          "it needs "
              + initialPages * 64L
              + " KiB of memory at start"
              + (snapshot == null ? "" : " (after its init)")
              + ", more than the memory cap of "
              + maxMemoryBytes / 1024
              + " KiB");
    }
    return new MemoryLimits(initialPages, maxPages, declared.shared());
  }
}
