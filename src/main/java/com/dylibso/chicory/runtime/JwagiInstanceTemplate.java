package com.dylibso.chicory.runtime;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TagSection;
import com.dylibso.chicory.wasm.types.TagType;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * jwagi's fast path to a fresh {@link Instance} (Chicory 1.7.5). {@link Instance.Builder#build()}
 * re-derives on every call what depends only on the module and its imports: it copies each section
 * into new arrays, maps the imports onto the import values by name (with streams and string
 * concatenation per import) and validates them, and builds the exports map; that was most of the
 * allocation of a request. This class does all of it once, after one ordinary {@code build()} has
 * validated the combination, and then calls the instance constructor (package-private, hence this
 * package) with the shared results. Per instance only the memory, the instance's own state and the
 * copy of the data segments (which {@code data.drop} changes) are new.
 *
 * <p>It requires the import values to hold exactly one function per import, in the module's import
 * order (what jwagi's WASI linking builds); {@link #of} checks this and returns null otherwise, and
 * the caller then uses the builder. Tied to Chicory's internals: check it when upgrading Chicory
 * (the engine's tests cover it: every guest run goes through it).
 */
public final class JwagiInstanceTemplate {
  private final WasmModule module;
  private final Global[] globals;
  private final DataSegment[] dataSegments;
  private final FunctionBody[] functions;
  private final FunctionType[] types;
  private final int[] functionTypes;
  private final ImportValues imports;
  private final Table[] tables;
  private final Element[] elements;
  private final TagType[] tags;
  private final Map<String, Export> exports;
  private final Function<Instance, Machine> machineFactory;
  private final MemoryLimits[] memoryLimits;

  private JwagiInstanceTemplate(
      WasmModule module,
      ImportValues imports,
      Function<Instance, Machine> machineFactory,
      MemoryLimits memoryLimits) {
    this.module = module;
    this.imports = imports;
    this.machineFactory = machineFactory;
    this.globals = module.globalSection().globals();
    this.dataSegments = module.dataSection().dataSegments();
    this.functions = module.codeSection().functionBodies();
    this.types = module.typeSection().types();
    var importSection = module.importSection();
    int functionCount = module.functionSection().functionCount();
    this.functionTypes = new int[importSection.count(ExternalType.FUNCTION) + functionCount];
    int f = 0;
    for (int i = 0; i < importSection.importCount(); i++) {
      if (importSection.getImport(i).importType() == ExternalType.FUNCTION) {
        functionTypes[f++] = ((FunctionImport) importSection.getImport(i)).typeIndex();
      }
    }
    for (int i = 0; i < functionCount; i++) {
      functionTypes[f++] = module.functionSection().getFunctionType(i);
    }
    this.tables = new Table[module.tableSection().tableCount()];
    for (int i = 0; i < tables.length; i++) {
      tables[i] = module.tableSection().getTable(i);
    }
    this.elements = module.elementSection().elements();
    this.tags = module.tagSection().map(TagSection::types).orElse(null);
    Map<String, Export> exportMap = new HashMap<>();
    var exportSection = module.exportSection();
    for (int i = 0; i < exportSection.exportCount(); i++) {
      exportMap.put(exportSection.getExport(i).name(), exportSection.getExport(i));
    }
    this.exports = exportMap; // read only, by every instance
    int memories = module.memorySection().map(s -> s.memoryCount()).orElse(0);
    this.memoryLimits = new MemoryLimits[memories];
    for (int i = 0; i < memories; i++) {
      this.memoryLimits[i] =
          i == 0 && memoryLimits != null
              ? memoryLimits
              : module.memorySection().get().getMemory(i).limits();
    }
  }

  /**
   * A template for {@code module} linked to {@code imports}, or null if the fast path does not
   * apply (then use {@link Instance#builder}). Fails as {@link Instance.Builder#build()} does if
   * they do not fit together.
   *
   * @param memoryLimits limits of the first memory (as {@link Instance.Builder#withMemoryLimits});
   *     null for the module's own
   */
  public static JwagiInstanceTemplate of(
      WasmModule module,
      ImportValues imports,
      Function<Instance, Machine> machineFactory,
      MemoryLimits memoryLimits) {
    var importSection = module.importSection();
    if (importSection.count(ExternalType.FUNCTION) != importSection.importCount()
        || imports.functionCount() != importSection.importCount()
        || imports.globalCount() + imports.memoryCount() + imports.tableCount() + imports.tagCount()
            != 0) {
      return null;
    }
    for (int i = 0; i < importSection.importCount(); i++) {
      var declared = importSection.getImport(i);
      var given = imports.function(i);
      if (!declared.module().equals(given.module()) || !declared.name().equals(given.name())) {
        return null;
      }
    }
    // One ordinary build, not initialised, validates the imports and exports.
    var probe =
        Instance.builder(module)
            .withImportValues(imports)
            .withMachineFactory(machineFactory)
            .withInitialize(false)
            .withStart(false);
    if (memoryLimits != null) {
      probe.withMemoryLimits(memoryLimits).withMemoryFactory(ByteArrayMemory::new);
    }
    probe.build();
    return new JwagiInstanceTemplate(module, imports, machineFactory, memoryLimits);
  }

  /**
   * A fresh instance, initialised (globals, tables, memory with its data segments, the module's
   * start function if any) but with its {@code _start} not run.
   */
  public Instance newInstance(Function<MemoryLimits, Memory> memoryFactory) {
    Memory[] memories = new Memory[memoryLimits.length];
    for (int i = 0; i < memories.length; i++) {
      memories[i] = memoryFactory.apply(memoryLimits[i]);
    }
    return new Instance(
        module,
        globals,
        memories,
        dataSegments.clone(),
        functions,
        types,
        functionTypes,
        imports,
        tables,
        elements,
        tags,
        exports,
        machineFactory,
        null,
        null,
        true,
        false,
        null);
  }
}
