package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.JwagiInstanceTemplate;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link JwagiInstanceTemplate} (jwagi's way into Chicory's instance constructor) against Chicory's
 * own {@link Instance#builder}: for every module of the repository, an instance from the template
 * is in the state an ordinary build leaves it (exports, globals, memory, tables, element and data
 * segments, the start function run once), on Chicory's memory and on a {@link CowMemory}, before
 * and after the copy-on-write image is taken. And a pre-initialised instance (from a snapshot)
 * starts in exactly the state the instance that ran the init ended in, with nothing run again.
 */
class InstanceTemplateTest {
  private static final List<Path> MODULES = new ArrayList<>();
  private static final List<byte[]> WASM = new ArrayList<>();
  private static ModuleLoader loader;

  @BeforeAll
  static void modules() throws Exception {
    loader = new ModuleLoader(null);
    for (Path folder :
        List.of(Path.of("src", "test", "resources", "wasm"), Path.of("examples", "modules"))) {
      try (Stream<Path> files = Files.list(folder)) {
        for (Path file : files.sorted().toList()) {
          String name = file.getFileName().toString();
          if ((name.endsWith(".wasm") || name.endsWith(".wat")) && !name.startsWith("broken")) {
            MODULES.add(file);
            WASM.add(loader.load(file));
          }
        }
      }
    }
    assertThat(MODULES).hasSizeGreaterThan(20);
  }

  private static WasmModule parse(byte[] wasm) {
    return Parser.parse(wasm);
  }

  @Test
  void anInstanceFromTheTemplateIsInTheStateOfAnOrdinaryBuild() throws Exception {
    int compared = 0;
    for (int m = 0; m < MODULES.size(); m++) {
      WasmModule module = parse(WASM.get(m));
      ImportValues imports = WasiLink.link(module);
      var template = JwagiInstanceTemplate.of(module, imports, InterpreterMachine::new, null);
      if (template == null) {
        continue; // the builder is used for these (several memories, imports besides functions)
      }
      String name = MODULES.get(m).getFileName().toString();
      Instance built =
          Instance.builder(module)
              .withImportValues(imports)
              .withMachineFactory(InterpreterMachine::new)
              .withStart(false)
              .build();
      MemoryLimits limits = template.memoryLimits();
      assertSameState(name, template.newInstance(memory(limits, null)), built);
      if (limits != null) {
        var image = new CowMemory.Image(limits.initialPages());
        assertSameState(
            name + " (image taken)", template.newInstance(memory(limits, image)), built);
        assertThat(image.taken()).isTrue();
        assertSameState(name + " (from image)", template.newInstance(memory(limits, image)), built);
      }
      compared++;
    }
    assertThat(compared).isGreaterThan(20);
  }

  private static Memory memory(MemoryLimits limits, CowMemory.Image image) {
    if (limits == null) {
      return null;
    }
    return image == null ? new ByteArrayMemory(limits) : new CowMemory(image, limits);
  }

  /**
   * snapshot.wat's init grows the memory and the table, sets globals, fills a table entry and
   * memory from passive segments and drops them; boot.wasm's mallocs 4 MiB and fills it. An
   * instance made from the snapshot is in the state the init left, and its start function has not
   * run again (snapshot.wat counts its runs in a global). The same from the snapshot written as the
   * module cache keeps it and read back.
   */
  @Test
  void aPreinitialisedInstanceStartsInTheStateTheInitLeft() throws Exception {
    for (var c :
        List.of(new String[] {"snapshot.wat", "init"}, new String[] {"boot.wasm", "boot"})) {
      WasmModule module = parse(loader.load(Path.of("src", "test", "resources", "wasm", c[0])));
      ImportValues imports = WasiLink.link(module);
      MemoryLimits declared = module.memorySection().get().getMemory(0).limits();
      // Compiled, as jwagi runs them: boot's sieve takes long in Chicory's interpreter.
      var template =
          JwagiInstanceTemplate.of(
              module, imports, MachineFactoryCompiler.builder(module).compile(), declared);
      var memory = new CowMemory(new CowMemory.Image(declared.initialPages()), declared);
      Instance initialised = template.newInstance(memory);
      template.call(initialised, c[1]);
      var state = template.snapshot(initialised, memory.dataSegments());
      CowMemory.Image image = memory.snapshot();
      assertThat(image.pages()).isEqualTo(memory.pages()).isGreaterThan(declared.initialPages());

      // And as the module cache keeps it: the state and image written, then read back.
      var stored = new java.io.ByteArrayOutputStream();
      var out = new java.io.DataOutputStream(stored);
      new Snapshot(state, image).writeTo(template, module.digest(), c[1], out);
      out.flush();
      Snapshot read =
          Snapshot.readFrom(
              template,
              module.digest(),
              c[1],
              declared.maximumPages(),
              new java.io.DataInputStream(new java.io.ByteArrayInputStream(stored.toByteArray())));

      var limits = new MemoryLimits(image.pages(), declared.maximumPages());
      var restoring = template.restoring(state, limits);
      var restoringRead = template.restoring(read.state(), limits);
      for (int run = 0; run < 4; run++) {
        boolean fromRead = run >= 2;
        var own = new CowMemory(fromRead ? read.memory() : image, limits);
        Instance restored = (fromRead ? restoringRead : restoring).newInstance(own);
        assertSameState(
            c[0] + " run " + run + (fromRead ? " (read back)" : ""), restored, initialised);
        // What a run writes stays in its own memory: the next starts from the snapshot again.
        own.writeI32(0, 0x12345678);
        restored.global(0).setValue(99);
      }
    }
  }

  /** The same exports, globals, memory, tables, element and data segments. */
  private static void assertSameState(String what, Instance actual, Instance expected) {
    WasmModule module = expected.module();
    var exports = module.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      var export = exports.getExport(i);
      if (export.exportType() == ExternalType.FUNCTION) {
        assertThat(actual.exportType(export.name()))
            .as("%s: export %s", what, export.name())
            .isEqualTo(expected.exportType(export.name()));
      }
    }
    assertThat(actual.globalCount()).as(what).isEqualTo(expected.globalCount());
    for (int g = 0; g < expected.globalCount(); g++) {
      var a = actual.global(g);
      var e = expected.global(g);
      assertThat(new long[] {a.getValueLow(), a.getValueHigh()})
          .as("%s: global %d", what, g)
          .containsExactly(e.getValueLow(), e.getValueHigh());
      assertThat(a.getType()).isEqualTo(e.getType());
      assertThat(a.getMutabilityType()).isEqualTo(e.getMutabilityType());
      assertThat(a.getInstance()).isSameAs(actual);
    }
    assertThat(actual.tableCount()).as(what).isEqualTo(expected.tableCount());
    for (int t = 0; t < expected.tableCount(); t++) {
      var a = actual.table(t);
      var e = expected.table(t);
      assertThat(a.size()).as("%s: table %d size", what, t).isEqualTo(e.size());
      assertThat(a.limits().max()).isEqualTo(e.limits().max());
      for (int k = 0; k < e.size(); k++) {
        assertThat(a.ref(k)).as("%s: table %d entry %d", what, t, k).isEqualTo(e.ref(k));
        assertThat(a.instance(k) == null).isEqualTo(e.instance(k) == null);
        if (a.instance(k) != null) {
          assertThat(a.instance(k)).isSameAs(actual);
        }
      }
    }
    assertThat(actual.elementCount()).isEqualTo(expected.elementCount());
    for (int i = 0; i < expected.elementCount(); i++) {
      assertThat(actual.element(i)).as("%s: element %d", what, i).isSameAs(expected.element(i));
    }
    int segments = module.dataSection().dataSegments().length;
    for (int i = 0; i < segments; i++) {
      assertThat(actual.dataSegmentData(i))
          .as("%s: data segment %d", what, i)
          .isEqualTo(expected.dataSegmentData(i));
    }
    if (module.memorySection().isPresent() && module.memorySection().get().memoryCount() > 0) {
      Memory a = actual.memory();
      Memory e = expected.memory();
      assertThat(a.pages()).as("%s: memory pages", what).isEqualTo(e.pages());
      byte[] actualBytes = a.readBytes(0, a.pages() * Memory.PAGE_SIZE);
      byte[] expectedBytes = e.readBytes(0, e.pages() * Memory.PAGE_SIZE);
      assertThat(java.util.Arrays.mismatch(actualBytes, expectedBytes))
          .as("%s: first differing memory byte", what)
          .isEqualTo(-1);
    }
  }
}
