package com.dylibso.chicory.runtime;

import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.ActiveElement;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.TagSection;
import com.dylibso.chicory.wasm.types.TagType;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * jwagi's fast path to a fresh {@link Instance} (Chicory 1.7.5). {@link Instance.Builder#build()}
 * re-derives on every call what depends only on the module and its imports: it copies each section
 * into new arrays, maps the imports onto the import values by name (with streams and string
 * concatenation per import) and validates them, and builds the exports map; that was most of the
 * allocation of a request. This class does all of it once, after one ordinary {@code build()} has
 * validated the combination, and then calls the instance constructor (package-private, hence this
 * package) with the shared results. Per instance only the memory, the instance's own state, its
 * tables' limits and the copy of the data segments (which {@code data.drop} changes) are new.
 *
 * <p>Initialisation: Chicory's {@link Instance#initialize} evaluates every global's and element's
 * constant expression again for each instance (a stack and arrays per expression). When every such
 * expression is a plain constant (numbers, {@code ref.null}, {@code ref.func}, extended-const
 * arithmetic: no {@code global.get}, no GC objects), the values are the same for every instance, so
 * they are evaluated here once, with Chicory's evaluator, and {@link #newInstance} initialises in
 * the same order as Chicory (globals, active elements, memories with their data, the start
 * function) from them. Otherwise, or if this Chicory's instance no longer has the private {@code
 * globals} array this writes, {@link Instance#initialize} does it.
 *
 * <p>Pre-initialisation: {@link #snapshot} takes an instance's globals, tables and segments after
 * an init export ran, and the template {@link #restoring} them makes instances that start there:
 * the globals written into the same private array, the tables sized and filled as they were, the
 * dropped segments still dropped, the memory the caller's (its image is the snapshot's), and
 * nothing of the module's own initialisation (initialisers, data segments, start function) run.
 *
 * <p>It requires the import values to hold exactly one function per import, in the module's import
 * order (what jwagi's WASI linking builds), and a module with one memory at most; {@link #of}
 * checks this and returns null otherwise, and the caller then uses the builder. Tied to Chicory's
 * internals: check it when upgrading Chicory (the engine's tests cover it: every guest run goes
 * through it).
 */
public final class JwagiInstanceTemplate {
  private static final long[] NO_ARGS = new long[0];
  private static final Memory[] NO_MEMORIES = new Memory[0];

  /** Instance's private array of its globals, filled by {@link #initialize}; null: unavailable. */
  private static final VarHandle GLOBALS = globalsHandle();

  private final WasmModule module;
  private final Global[] globals;
  private final DataSegment[] dataSegments;
  private final FunctionBody[] functions;
  private final FunctionType[] types;
  private final int[] functionTypes;
  private final ImportValues imports;
  private final Table[] tables;

  /** Each table's size as the module declares it (Chicory grows a Table's limits in place). */
  private final long[] tableMinimums;

  /** Whether a table may grow (its maximum is above its size): then each instance needs its own. */
  private final boolean growableTables;

  private final Element[] elements;
  private final TagType[] tags;
  private final Map<String, Export> exports;
  private final Function<Instance, Machine> machineFactory;

  /** The module's memory, if it has one: none or one element. */
  private final MemoryLimits[] memoryLimits;

  /** The constant initial values, when {@link #initialize} can use them; else null. */
  private final Constants constants;

  /** What instances start from when the module was pre-initialised; else null. */
  private final State state;

  private JwagiInstanceTemplate(
      WasmModule module,
      ImportValues imports,
      Function<Instance, Machine> machineFactory,
      MemoryLimits memoryLimits,
      Instance probe) {
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
    this.tableMinimums = new long[tables.length];
    boolean growable = false;
    for (int i = 0; i < tables.length; i++) {
      tables[i] = module.tableSection().getTable(i);
      tableMinimums[i] = tables[i].limits().min();
      growable |= tables[i].limits().max() > tables[i].limits().min();
    }
    this.growableTables = growable;
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
    this.constants = Constants.of(this, probe);
    this.state = null;
  }

  /** {@code base}'s module, its instances starting from {@code state}. */
  private JwagiInstanceTemplate(
      JwagiInstanceTemplate base, State state, MemoryLimits memoryLimits) {
    this.module = base.module;
    this.imports = base.imports;
    this.machineFactory = base.machineFactory;
    this.globals = base.globals;
    this.dataSegments = state.dataSegments;
    this.functions = base.functions;
    this.types = base.types;
    this.functionTypes = base.functionTypes;
    this.tables = new Table[base.tables.length];
    this.tableMinimums = new long[tables.length];
    boolean growable = false;
    for (int i = 0; i < tables.length; i++) {
      Table t = base.tables[i];
      long size = state.tableRefs[i].length;
      tables[i] =
          new Table(
              t.elementType(),
              new TableLimits(size, t.limits().max(), t.limits().shared()),
              t.initialize());
      tableMinimums[i] = size;
      growable |= t.limits().max() > size;
    }
    this.growableTables = growable;
    this.elements = state.elements;
    this.tags = base.tags;
    this.exports = base.exports;
    this.memoryLimits =
        memoryLimits == null ? new MemoryLimits[0] : new MemoryLimits[] {memoryLimits};
    this.constants = null;
    this.state = state;
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
    if (module.memorySection().map(s -> s.memoryCount()).orElse(0) > 1
        || importSection.count(ExternalType.FUNCTION) != importSection.importCount()
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
    return new JwagiInstanceTemplate(module, imports, machineFactory, memoryLimits, probe.build());
  }

  /** The limits of the module's memory (as given to {@link #of}), or null if it has none. */
  public MemoryLimits memoryLimits() {
    return memoryLimits.length == 0 ? null : memoryLimits[0];
  }

  /** {@link #newInstance(Memory, TableFactory)} with Chicory's own tables. */
  public Instance newInstance(Memory memory) {
    return newInstance(memory, null);
  }

  /**
   * A fresh instance, initialised (globals, tables, memory with its data segments, the module's
   * start function if any) but with its {@code _start} not run.
   *
   * @param memory the instance's memory, made for {@link #memoryLimits()} (null if there are none)
   * @param tables makes the instance's tables (null: Chicory's own)
   */
  public Instance newInstance(Memory memory, TableFactory tables) {
    Memory[] memories = memoryLimits.length == 0 ? NO_MEMORIES : new Memory[] {memory};
    DataSegment[] segments = dataSegments.clone();
    var instance =
        new Instance(
            module,
            globals,
            memories,
            segments,
            functions,
            types,
            functionTypes,
            imports,
            ownTables(),
            elements,
            tags,
            exports,
            machineFactory,
            tables,
            null,
            false,
            false,
            null);
    if (state != null) {
      state.restore(instance, memories, segments);
    } else if (constants == null) {
      return instance.initialize(false);
    } else {
      constants.initialize(instance, memories, segments);
    }
    return instance;
  }

  /**
   * The state of {@code instance}, made by this template, after its init export returned: its
   * globals, tables and element segments, and {@code dataSegments} (as its memory's {@code
   * memory.init} sees them). Its memory is the caller's to keep. Throws {@link
   * IllegalStateException} saying why if some of it cannot be carried over to other instances.
   */
  public State snapshot(Instance instance, DataSegment[] dataSegments) {
    if (GLOBALS == null) {
      throw new IllegalStateException(
          "this Chicory's instances have no globals array to restore (check"
              + " JwagiInstanceTemplate)");
    }
    long[] low = new long[globals.length];
    long[] high = new long[globals.length];
    for (int i = 0; i < globals.length; i++) {
      ValType type = globals[i].valueType();
      if (type.isReference() && !plainReference(type)) {
        throw new IllegalStateException("global " + i + " holds a " + type + " (GC objects)");
      }
      GlobalInstance global = instance.global(i);
      low[i] = global.getValueLow();
      high[i] = global.getValueHigh();
    }
    int[][] refs = new int[tables.length][];
    boolean[][] linked = new boolean[tables.length][];
    for (int t = 0; t < tables.length; t++) {
      TableInstance table = instance.table(t);
      if (!plainReference(table.elementType())) {
        throw new IllegalStateException("table " + t + " holds " + table.elementType());
      }
      refs[t] = new int[table.size()];
      linked[t] = new boolean[refs[t].length];
      for (int k = 0; k < refs[t].length; k++) {
        refs[t][k] = table.ref(k);
        linked[t][k] = table.instance(k) != null;
        if (linked[t][k] && table.instance(k) != instance) {
          throw new IllegalStateException("table " + t + " refers to another instance");
        }
      }
    }
    Element[] elementState = new Element[elements.length];
    for (int i = 0; i < elementState.length; i++) {
      elementState[i] = instance.element(i);
    }
    DataSegment[] segments = dataSegments == null ? this.dataSegments : dataSegments.clone();
    return new State(low, high, refs, linked, elementState, segments);
  }

  /** funcref or externref, whose values mean the same in every instance of the module. */
  private static boolean plainReference(ValType type) {
    return ValType.matchesRef(type, ValType.FuncRef) || ValType.matchesRef(type, ValType.ExternRef);
  }

  /**
   * A template of the same module whose instances start from {@code state} (see {@link #snapshot}):
   * nothing of the module's own initialisation runs again (no global or element initialiser, no
   * data segment, no start function).
   *
   * @param memoryLimits the memory's limits, its initial size the snapshot's; null if it has none
   */
  public JwagiInstanceTemplate restoring(State state, MemoryLimits memoryLimits) {
    return new JwagiInstanceTemplate(this, state, memoryLimits);
  }

  /**
   * Writes {@code state}, taken by {@link #snapshot} from an instance of this template's module, so
   * that {@link #readState} can make it again in another process: globals as numbers, table entries
   * as function indices, each element and data segment as kept or dropped. Throws {@link
   * IllegalStateException} if some of it is not one of those (it can then only be kept in memory).
   */
  public void writeState(State state, DataOutput out) throws IOException {
    out.writeInt(state.globalLow.length);
    for (int i = 0; i < state.globalLow.length; i++) {
      out.writeLong(state.globalLow[i]);
      out.writeLong(state.globalHigh[i]);
    }
    out.writeInt(state.tableRefs.length);
    for (int t = 0; t < state.tableRefs.length; t++) {
      out.writeInt(state.tableRefs[t].length);
      for (int k = 0; k < state.tableRefs[t].length; k++) {
        out.writeInt(state.tableRefs[t][k]);
        out.writeBoolean(state.tableLinked[t][k]);
      }
    }
    Element[] moduleElements = module.elementSection().elements();
    out.writeInt(state.elements.length);
    for (int i = 0; i < state.elements.length; i++) {
      out.writeBoolean(kept(state.elements[i], moduleElements[i], null, "element " + i));
    }
    DataSegment[] moduleSegments = module.dataSection().dataSegments();
    out.writeInt(state.dataSegments.length);
    for (int i = 0; i < state.dataSegments.length; i++) {
      out.writeBoolean(
          kept(
              state.dataSegments[i],
              moduleSegments[i],
              PassiveDataSegment.EMPTY,
              "data segment " + i));
    }
  }

  /** Whether a segment is the module's own (true) or dropped (false); else it cannot be written. */
  private static boolean kept(Object segment, Object module, Object dropped, String what) {
    if (segment == module) {
      return true;
    }
    if (segment == dropped) {
      return false;
    }
    throw new IllegalStateException(what + " is neither the module's nor dropped");
  }

  /**
   * A state {@link #writeState} wrote for this template's module. The bytes are checked against the
   * module (counts, table sizes within their maximum, function indices) and what is allocated grows
   * only with what is read, so bytes that are not such a state fail with an IOException.
   */
  public State readState(DataInput in) throws IOException {
    int globalCount = count(in, globals.length, "globals");
    long[] low = new long[globalCount];
    long[] high = new long[globalCount];
    for (int i = 0; i < globalCount; i++) {
      low[i] = in.readLong();
      high[i] = in.readLong();
    }
    int tableCount = count(in, tables.length, "tables");
    int[][] refs = new int[tableCount][];
    boolean[][] linked = new boolean[tableCount][];
    for (int t = 0; t < tableCount; t++) {
      int size = in.readInt();
      if (size < 0 || size < tableMinimums[t] || size > tables[t].limits().max()) {
        throw new IOException("table " + t + " of " + size + " elements does not fit the module");
      }
      boolean functions = ValType.matchesRef(tables[t].elementType(), ValType.FuncRef);
      int[] r = new int[Math.min(size, 1 << 16)];
      boolean[] l = new boolean[r.length];
      for (int k = 0; k < size; k++) {
        if (k == r.length) { // grown as entries are read: never more than the entry holds
          r = Arrays.copyOf(r, (int) Math.min(size, 2L * r.length));
          l = Arrays.copyOf(l, r.length);
        }
        r[k] = in.readInt();
        l[k] = in.readBoolean();
        if (functions && (r[k] < Value.REF_NULL_VALUE || r[k] >= functionTypes.length)) {
          throw new IOException("table " + t + " entry " + k + " names no function: " + r[k]);
        }
      }
      refs[t] = r;
      linked[t] = l;
    }
    Element[] moduleElements = module.elementSection().elements();
    Element[] elementState = new Element[count(in, moduleElements.length, "element segments")];
    for (int i = 0; i < elementState.length; i++) {
      elementState[i] = in.readBoolean() ? moduleElements[i] : null;
    }
    DataSegment[] moduleSegments = module.dataSection().dataSegments();
    DataSegment[] segments = new DataSegment[count(in, moduleSegments.length, "data segments")];
    for (int i = 0; i < segments.length; i++) {
      segments[i] = in.readBoolean() ? moduleSegments[i] : PassiveDataSegment.EMPTY;
    }
    return new State(low, high, refs, linked, elementState, segments);
  }

  private static int count(DataInput in, int expected, String what) throws IOException {
    int n = in.readInt();
    if (n != expected) {
      throw new IOException(n + " " + what + " where the module has " + expected);
    }
    return n;
  }

  /**
   * An instance's globals, tables and segments after its init export ran: what pre-initialised
   * instances start from (with the memory image the caller keeps). Immutable: each instance gets
   * its own {@link GlobalInstance}s and table entries from it.
   */
  public static final class State {
    private final long[] globalLow;
    private final long[] globalHigh;
    private final int[][] tableRefs;

    /** Whether each table entry names its instance (Chicory keeps one per entry). */
    private final boolean[][] tableLinked;

    private final Element[] elements;
    private final DataSegment[] dataSegments;

    private State(
        long[] globalLow,
        long[] globalHigh,
        int[][] tableRefs,
        boolean[][] tableLinked,
        Element[] elements,
        DataSegment[] dataSegments) {
      this.globalLow = globalLow;
      this.globalHigh = globalHigh;
      this.tableRefs = tableRefs;
      this.tableLinked = tableLinked;
      this.elements = elements;
      this.dataSegments = dataSegments;
    }

    /** The globals, tables and memory of a new instance as they were in the snapshot. */
    private void restore(Instance instance, Memory[] memories, DataSegment[] segments) {
      GlobalInstance[] own = (GlobalInstance[]) GLOBALS.get(instance);
      Global[] declared = instance.module().globalSection().globals();
      for (int i = 0; i < own.length; i++) {
        var global =
            new GlobalInstance(
                globalLow[i], globalHigh[i], declared[i].valueType(), declared[i].mutabilityType());
        global.setInstance(instance);
        own[i] = global;
      }
      for (int t = 0; t < tableRefs.length; t++) {
        TableInstance table = instance.table(t);
        int[] refs = tableRefs[t];
        boolean[] linked = tableLinked[t];
        for (int k = 0; k < refs.length; k++) {
          table.setRef(k, refs[k], linked[k] ? instance : null);
        }
      }
      for (int i = 0; i < memories.length; i++) {
        memories[i].zero();
        memories[i].initialize(instance, segments, i); // the memory's image is the snapshot's
      }
      instance.gcSafePoint();
    }
  }

  /**
   * The tables for a new instance: the module's, each with limits of its own. Chicory's {@code
   * table.grow} grows the {@link TableLimits} of the {@link Table} an instance was made from;
   * shared, one run's growth would be the next runs' initial size. Tables that cannot grow (maximum
   * = size, as C compilers declare the function table) are shared: nothing changes them.
   */
  private Table[] ownTables() {
    if (!growableTables) {
      return tables;
    }
    Table[] own = new Table[tables.length];
    for (int i = 0; i < own.length; i++) {
      Table t = tables[i];
      own[i] =
          new Table(
              t.elementType(),
              new TableLimits(tableMinimums[i], t.limits().max(), t.limits().shared()),
              t.initialize());
    }
    return own;
  }

  /**
   * Calls the exported function {@code name}, without arguments, as {@code
   * instance.export(name).apply()} does.
   */
  public void call(Instance instance, String name) {
    Export export = exports.get(name);
    if (export == null || export.exportType() != ExternalType.FUNCTION) {
      instance.export(name).apply(); // Chicory's own error
      return;
    }
    try {
      instance.getMachine().call(export.index(), NO_ARGS);
    } finally {
      instance.gcSafePoint();
    }
  }

  private static VarHandle globalsHandle() {
    try {
      return MethodHandles.privateLookupIn(Instance.class, MethodHandles.lookup())
          .findVarHandle(Instance.class, "globals", GlobalInstance[].class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // Chicory's own initialisation is used
    }
  }

  /**
   * The initial values of a module's globals and of its active elements' table entries, evaluated
   * once. Immutable after construction (arrays of numbers, never written), so shared by every
   * instance; each instance gets its own {@link GlobalInstance}s and table entries from them.
   */
  private static final class Constants {
    private final Global[] globals;
    private final long[] globalLow;
    private final long[] globalHigh;
    private final int[] elementTables;
    private final int[] elementOffsets;
    private final int[][] elementRefs;
    private final long startFunction;

    private Constants(
        Global[] globals,
        long[] globalLow,
        long[] globalHigh,
        int[] elementTables,
        int[] elementOffsets,
        int[][] elementRefs,
        long startFunction) {
      this.globals = globals;
      this.globalLow = globalLow;
      this.globalHigh = globalHigh;
      this.elementTables = elementTables;
      this.elementOffsets = elementOffsets;
      this.elementRefs = elementRefs;
      this.startFunction = startFunction;
    }

    /** The constants of the template's module, or null if any is not a plain constant. */
    static Constants of(JwagiInstanceTemplate t, Instance probe) {
      if (GLOBALS == null) {
        return null;
      }
      Global[] globals = t.globals;
      long[] low = new long[globals.length];
      long[] high = new long[globals.length];
      for (int i = 0; i < globals.length; i++) {
        long[] value = evaluate(probe, globals[i].initInstructions());
        if (value == null) {
          return null;
        }
        low[i] = value[0];
        high[i] = value.length > 1 ? value[1] : 0;
      }
      List<int[]> active = new ArrayList<>();
      List<int[]> refs = new ArrayList<>();
      for (Element element : t.elements) {
        if (!(element instanceof ActiveElement)) {
          continue;
        }
        var ae = (ActiveElement) element;
        long[] offset = evaluate(probe, ae.offset());
        if (offset == null || ae.tableIndex() < 0 || ae.tableIndex() >= t.tables.length) {
          return null;
        }
        int at = (int) offset[0];
        int count = ae.initializers().size();
        long size = t.tableMinimums[ae.tableIndex()];
        if (at > size || (at + count - 1) >= size) {
          return null; // out of bounds: Chicory's initialisation fails each run, as it should
        }
        int[] values = new int[count];
        for (int k = 0; k < count; k++) {
          long[] value = evaluate(probe, ae.initializers().get(k));
          if (value == null || Value.isI31(value[0])) {
            return null;
          }
          values[k] = (int) value[0];
        }
        active.add(new int[] {ae.tableIndex(), at});
        refs.add(values);
      }
      boolean hasActiveData = false;
      for (DataSegment segment : t.dataSegments) {
        hasActiveData |= segment instanceof ActiveDataSegment;
      }
      if (hasActiveData && t.memoryLimits.length == 0) {
        return null; // Chicory's initialisation reports the missing memory
      }
      int[] tables = new int[active.size()];
      int[] offsets = new int[active.size()];
      for (int i = 0; i < tables.length; i++) {
        tables[i] = active.get(i)[0];
        offsets[i] = active.get(i)[1];
      }
      long start = t.module.startSection().map(s -> s.startIndex()).orElse(-1L);
      return new Constants(globals, low, high, tables, offsets, refs.toArray(new int[0][]), start);
    }

    /**
     * The value of a constant expression that is the same in every instance, by Chicory's own
     * evaluator; null if it may not be (it reads a global or makes a GC object).
     */
    private static long[] evaluate(Instance probe, List<Instruction> expression) {
      for (Instruction instruction : expression) {
        switch (instruction.opcode()) {
          case I32_CONST:
          case I64_CONST:
          case F32_CONST:
          case F64_CONST:
          case V128_CONST:
          case REF_NULL:
          case REF_FUNC:
          case I32_ADD:
          case I32_SUB:
          case I32_MUL:
          case I64_ADD:
          case I64_SUB:
          case I64_MUL:
          case END:
            break;
          default:
            return null;
        }
      }
      return ConstantEvaluators.computeConstantValue(probe, expression);
    }

    /** {@link Instance#initialize}{@code (false)}, from the constants. */
    void initialize(Instance instance, Memory[] memories, DataSegment[] segments) {
      GlobalInstance[] own = (GlobalInstance[]) GLOBALS.get(instance);
      for (int i = 0; i < own.length; i++) {
        var global =
            new GlobalInstance(
                globalLow[i], globalHigh[i], globals[i].valueType(), globals[i].mutabilityType());
        global.setInstance(instance);
        own[i] = global;
      }
      for (int e = 0; e < elementTables.length; e++) {
        TableInstance table = instance.table(elementTables[e]);
        int[] refs = elementRefs[e];
        for (int k = 0; k < refs.length; k++) {
          table.setRef(elementOffsets[e] + k, refs[k], instance);
        }
      }
      for (int i = 0; i < memories.length; i++) {
        memories[i].zero();
        memories[i].initialize(instance, segments, i);
      }
      if (startFunction >= 0) {
        try {
          instance.getMachine().call((int) startFunction, NO_ARGS);
        } catch (TrapException e) {
          throw new UninstantiableException(e.getMessage(), e);
        }
      }
      instance.gcSafePoint();
    }
  }
}
