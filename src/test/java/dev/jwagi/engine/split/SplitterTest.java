package dev.jwagi.engine.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Differential tests of the splitter: a module split at a tiny target (so that nearly every run of
 * statements moves, with branches, loops, switches and returns crossing the cuts) must compute
 * exactly what the module computes whole, on Chicory's interpreter and compiled.
 */
class SplitterTest {
  private static final int LIMIT = 500;
  private static final int TARGET = 60;

  private static WasmModule parse(byte[] wasm) {
    return Parser.builder()
        .withValidation(true)
        .build()
        .parse(() -> new ByteArrayInputStream(wasm));
  }

  private static Instance instance(byte[] wasm, boolean compiled, ImportValues imports) {
    WasmModule module = parse(wasm);
    var builder = Instance.builder(module).withImportValues(imports);
    if (compiled) {
      builder.withMachineFactory(MachineFactoryCompiler.compile(module));
    }
    return builder.build();
  }

  @Test
  void generatedFunctionsComputeTheSameSplit() {
    int moved = 0;
    int splitModules = 0;
    for (int seed = 1; seed <= 16; seed++) {
      boolean voidBody = seed % 2 == 0;
      byte[] whole = RandomModule.generate(seed, 30, voidBody);
      Splitter.Result split = Splitter.split(whole, LIMIT, TARGET);
      if (!split.changed()) {
        continue; // the function has a statement over the limit: counted below
      }
      splitModules++;
      moved += split.created();
      List<long[]> results = new ArrayList<>();
      for (byte[] wasm : List.of(whole, split.wasm())) {
        for (boolean compiled : List.of(false, true)) {
          var run = instance(wasm, compiled, ImportValues.builder().build()).export("run");
          long[] out = new long[5];
          for (int input = 0; input < out.length; input++) {
            out[input] = run.apply(input * 1_000_003L - 7)[0];
          }
          results.add(out);
        }
      }
      for (long[] r : results) {
        assertThat(r).as("seed %d", seed).containsExactly(results.get(0));
      }
    }
    assertThat(splitModules).isGreaterThanOrEqualTo(12);
    assertThat(moved).isGreaterThan(splitModules * 10);
  }

  /** What a WASI command prints and its exit code. */
  private static String runCommand(byte[] wasm, boolean compiled, String... args) {
    var stdout = new ByteArrayOutputStream();
    var options = WasiOptions.builder().withStdout(stdout).withArguments(List.of(args)).build();
    try (var wasi = WasiPreview1.builder().withOptions(options).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      int exit = 0;
      try {
        instance(wasm, compiled, imports).export("_start").apply();
      } catch (WasiExitException e) {
        exit = e.exitCode();
      }
      return "exit " + exit + ": " + stdout;
    }
  }

  @Test
  void realModulesPrintTheSameSplit() throws Exception {
    String[][] cases = {
      {"fib.wasm", "fib", "18"},
      {"counter.wasm", "counter"},
      {"sha256.wasm", "sha256", "1"},
      {"exit.wasm", "exit", "5"},
      {"entry.wasm", "entry"}
    };
    for (String[] c : cases) {
      byte[] whole = Files.readAllBytes(Path.of("src", "test", "resources", "wasm", c[0]));
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      Splitter.Result split = Splitter.split(whole, 150, 50);
      assertThat(split.created()).as(c[0]).isPositive();
      String expected = runCommand(whole, true, args);
      assertThat(expected).as(c[0]).isNotEqualTo("exit 0: ");
      assertThat(runCommand(split.wasm(), true, args)).as(c[0]).isEqualTo(expected);
      if (!c[0].equals("sha256.wasm")) { // hashing 1 MiB in the interpreter takes too long
        assertThat(runCommand(whole, false, args)).as(c[0]).isEqualTo(expected);
        assertThat(runCommand(split.wasm(), false, args)).as(c[0]).isEqualTo(expected);
      }
    }
  }

  /**
   * wasi-libc's printf core is too large for HotSpot's JIT: the default split keeps fib's output.
   */
  @Test
  void theDefaultSplitOfPrintfPrintsTheSame() throws Exception {
    byte[] whole = Files.readAllBytes(Path.of("src", "test", "resources", "wasm", "fib.wasm"));
    Splitter.Result split = Splitter.split(whole);
    assertThat(split.split()).isNotEmpty();
    assertThat(split.notSplit()).isEmpty();
    String expected = runCommand(whole, true, "fib", "25");
    assertThat(expected).contains("75025");
    assertThat(runCommand(split.wasm(), true, "fib", "25")).isEqualTo(expected);
    assertThat(runCommand(split.wasm(), false, "fib", "25")).isEqualTo(expected);
  }

  /**
   * A run hands back only the locals live after it: t is written by the run but written again
   * before it is read, so of t and a only a comes back (Chicory returns two or more results as a
   * new array per call).
   */
  @Test
  void aRunHandsBackOnlyTheLocalsLiveAfterIt() {
    Wasm.Writer f = new Wasm.Writer().u32(1).u32(2).u8(Wasm.I32); // locals 1 = t, 2 = a
    f.u8(Instr.LOCAL_GET).u32(0).u8(0x41).sleb(3).u8(0x6C).u8(Instr.LOCAL_SET).u32(1); // t = p*3
    f.u8(Instr.LOCAL_GET).u32(1).u8(0x41).sleb(5).u8(0x6A).u8(Instr.LOCAL_SET).u32(2); // a = t+5
    f.u8(Instr.LOCAL_GET).u32(2).u8(0x41).sleb(7).u8(0x73).u8(Instr.LOCAL_SET).u32(2); // a ^= 7
    f.u8(0x41).sleb(11).u8(Instr.LOCAL_SET).u32(1); // t = 11
    f.u8(Instr.LOCAL_GET).u32(2).u8(Instr.LOCAL_GET).u32(1).u8(0x6A).u8(Instr.END); // a + t
    Wasm.Writer types = new Wasm.Writer().u32(1).u8(0x60).u32(1).u8(Wasm.I32).u32(1).u8(Wasm.I32);
    Wasm.Writer exports = new Wasm.Writer().u32(1).u32(1).u8('f').u8(0).u32(0);
    Wasm.Writer module = new Wasm.Writer().bytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    module.u8(1).sized(types).u8(3).sized(new Wasm.Writer().u32(1).u32(0));
    module.u8(7).sized(exports).u8(10).sized(new Wasm.Writer().u32(1).sized(f));
    byte[] whole = module.toByteArray();

    Splitter.Result split = Splitter.split(whole, 15, 12);
    assertThat(split.created()).isEqualTo(1);
    WasmModule parsed = parse(split.wasm());
    var created = parsed.typeSection().getType(parsed.functionSection().getFunctionType(1));
    assertThat(created.returns()).hasSize(1);
    for (boolean compiled : List.of(false, true)) {
      var wholeF = instance(whole, compiled, ImportValues.builder().build()).export("f");
      var splitF = instance(split.wasm(), compiled, ImportValues.builder().build()).export("f");
      for (long x : new long[] {0, 1, 12345, -7}) {
        assertThat(splitF.apply(x)).containsExactly(wholeF.apply(x));
      }
    }
  }

  /**
   * wabt's wat2wasm (1.5 MB, the one jwagi runs for .wat modules) split as jwagi splits it: every
   * new function takes at most 200 parameter slots, and Chicory compiles the result (past 253 slots
   * it passes arguments in an array and leaves locals uninitialised: a VerifyError).
   */
  @Test
  void theSplitOfWat2wasmCompilesWithinTheParameterSlots() throws Exception {
    byte[] whole;
    try (var in = SplitterTest.class.getResourceAsStream("/wat2wasm")) {
      whole = in.readAllBytes();
    }
    Splitter.Result split = Splitter.split(whole);
    assertThat(split.created()).isPositive();
    WasmModule module = parse(split.wasm());
    int count = module.functionSection().functionCount();
    for (int f = count - split.created(); f < count; f++) {
      var type = module.typeSection().getType(module.functionSection().getFunctionType(f));
      int slots = 0;
      for (var param : type.params()) {
        slots += param.equals(ValType.I64) || param.equals(ValType.F64) ? 2 : 1;
      }
      assertThat(slots).as("parameter slots of new function %d", f).isLessThanOrEqualTo(200);
    }
    MachineFactoryCompiler.builder(module)
        .withInterpreterFallback(com.dylibso.chicory.compiler.InterpreterFallback.FAIL)
        .compile();
  }

  /**
   * A module whose {@code run(i64) -> i64} sets 120 i64 locals from its argument, runs {@code
   * statements} statements that each set one local to a sum of {@code perStatement} random ones,
   * and returns the sum of all.
   */
  private static byte[] manyLocals(int statements, int perStatement) {
    return manyLocals(statements, perStatement, false);
  }

  /** Like {@link #manyLocals(int, int)}, its 120 locals i32 if {@code i32} (one JVM slot each). */
  private static byte[] manyLocals(int statements, int perStatement, boolean i32) {
    int locals = 120;
    Wasm.Writer code = new Wasm.Writer().u32(1).u32(locals).u8(i32 ? (byte) 0x7F : Wasm.I64);
    for (int l = 1; l <= locals; l++) { // local l = param * l
      code.u8(Instr.LOCAL_GET).u32(0);
      if (i32) {
        code.u8(0xA7).u8(0x41).sleb(l).u8(0x6C); // i32.wrap_i64, i32.const, i32.mul
      } else {
        code.u8(0x42).sleb(l).u8(0x7E);
      }
      code.u8(Instr.LOCAL_SET).u32(l);
    }
    var random = new java.util.Random(16);
    for (int k = 0; k < statements; k++) {
      code.u8(Instr.LOCAL_GET).u32(1 + random.nextInt(locals));
      for (int j = 1; j < perStatement; j++) {
        int op = i32 ? (j % 2 == 0 ? 0x6A : 0x73) : (j % 2 == 0 ? 0x7C : 0x85); // add, xor
        code.u8(Instr.LOCAL_GET).u32(1 + random.nextInt(locals)).u8(op);
      }
      code.u8(Instr.LOCAL_SET).u32(1 + random.nextInt(locals));
    }
    code.u8(0x42).sleb(0);
    for (int l = 1; l <= locals; l++) {
      code.u8(Instr.LOCAL_GET).u32(l);
      if (i32) {
        code.u8(0xAD); // i64.extend_i32_u
      }
      code.u8(0x7C);
    }
    code.u8(Instr.END);
    return runModule(code);
  }

  /** A module of one function, exported as {@code run(i64) -> i64}, with this body. */
  private static byte[] runModule(Wasm.Writer code) {
    Wasm.Writer out = new Wasm.Writer().bytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    Wasm.Writer types = new Wasm.Writer().u32(1).u8(0x60).u32(1).u8(Wasm.I64).u32(1).u8(Wasm.I64);
    Wasm.Writer exports = new Wasm.Writer().u32(1).u32(3);
    exports.bytes("run".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).u8(0).u32(0);
    out.u8(1).sized(types).u8(3).sized(new Wasm.Writer().u32(1).u32(0)).u8(7).sized(exports);
    out.u8(10).sized(new Wasm.Writer().u32(1).sized(code));
    return out.toByteArray();
  }

  /** The most parameters a function the split added takes; checks it computes the same. */
  private static int widestNewFunction(byte[] whole, Splitter.Result split) {
    assertThat(split.notSplit()).isEmpty();
    assertThat(split.created()).isGreaterThan(4);
    WasmModule module = parse(split.wasm());
    int widest = 0;
    for (int f = 1; f < module.functionSection().functionCount(); f++) {
      var type = module.typeSection().getType(module.functionSection().getFunctionType(f));
      widest = Math.max(widest, type.params().size());
    }
    long expected = instance(whole, true, ImportValues.builder().build()).export("run").apply(7)[0];
    for (boolean compiled : List.of(false, true)) {
      var run = instance(split.wasm(), compiled, ImportValues.builder().build()).export("run");
      assertThat(run.apply(7)[0]).isEqualTo(expected);
    }
    return widest;
  }

  /**
   * Statements of a few locals each, 120 in all: the runs moved out take at most {@link
   * Outliner#MAX_PARAMS} of them (more, and HotSpot's C2 refuses the new function).
   */
  @Test
  void newFunctionsTakeFewEnoughParametersForC2() {
    byte[] whole = manyLocals(500, 3);
    Splitter.Result split = Splitter.split(whole, 3_000, 600);
    assertThat(split.wide()).isEmpty();
    assertThat(widestNewFunction(whole, split))
        .isGreaterThan(10)
        .isLessThanOrEqualTo(Outliner.MAX_PARAMS);
  }

  /**
   * Statements of 60 locals each cannot move within {@link Outliner#MAX_PARAMS}: the function is
   * split into wider pieces (C1's code beats an interpreter), and the result says so.
   */
  @Test
  void statementsOfManyLocalsAreSplitIntoWiderPieces() {
    byte[] whole = manyLocals(40, 60);
    Splitter.Result split = Splitter.split(whole, 3_000, 600);
    assertThat(split.wide()).hasSize(1);
    assertThat(widestNewFunction(whole, split))
        .isGreaterThan(Outliner.MAX_PARAMS)
        .isLessThanOrEqualTo(Outliner.WIDE_SLOTS / 2); // i64 locals: two slots each
  }

  /**
   * Statements of 110 i32 locals each (Ruby's function 1580 after wasm-merge): over 100 parameters
   * but within 200 JVM slots, so split wide rather than left whole to Chicory's interpreter.
   */
  @Test
  void statementsOfOverAHundredI32LocalsAreSplitWithinTheSlotBound() throws Exception {
    byte[] whole = manyLocals(40, 110, true);
    Splitter.Result split = Splitter.split(whole, 3_000, 600);
    assertThat(split.wide()).hasSize(1);
    assertThat(widestNewFunction(whole, split))
        .isGreaterThan(100)
        .isLessThanOrEqualTo(Outliner.WIDE_SLOTS);
  }

  /**
   * An interpreter's loop (a switch of 24 cases in blocks nested one per case, each case's code
   * continuing the loop, falling through to the next case or leaving): the cases' code moves, the
   * dispatch stays in the function, so a step of the loop is one call, not a descent through a
   * chain of functions each holding part of the nest. The split computes what the whole does.
   */
  @Test
  void anInterpretersDispatchStaysWholeAndItsCasesMove() {
    byte[] whole = interpreterLoop(24, 12);
    Splitter.Result split = Splitter.split(whole, 3_000, 1_500);
    assertThat(split.wide()).isEmpty();
    assertThat(split.created()).isGreaterThanOrEqualTo(4);
    WasmModule module = parse(split.wasm());
    int widestTable = 0;
    for (var i : module.codeSection().getFunctionBody(0).instructions()) {
      if (i.opcode() == com.dylibso.chicory.wasm.types.OpCode.BR_TABLE) {
        widestTable = Math.max(widestTable, i.operands().length);
      }
    }
    assertThat(widestTable).as("the dispatch's br_table, in the split function").isGreaterThan(24);
    for (boolean compiled : List.of(false, true)) {
      var wholeRun = instance(whole, compiled, ImportValues.builder().build()).export("run");
      var splitRun = instance(split.wasm(), compiled, ImportValues.builder().build()).export("run");
      for (long x : new long[] {1, 7, 12_345, -3}) {
        assertThat(splitRun.apply(x)).as("run(%d)", x).containsExactly(wholeRun.apply(x));
      }
    }
  }

  /**
   * {@code run(i64) -> i64}: 30 i64 locals set from the argument, then up to 300 steps of a loop
   * that picks the next of {@code cases} cases from an i32 pc ({@code pc = (pc * 7 + 3) % cases})
   * through a br_table; each case runs {@code statements} statements (a local set to a sum of six
   * random ones), then continues the loop, falls through to the next case (every third) or, if a
   * local's low bit is set (every fifth), leaves it. Returns the sum of the locals.
   */
  private static byte[] interpreterLoop(int cases, int statements) {
    int locals = 30;
    int pc = locals + 1;
    int fuel = locals + 2;
    Wasm.Writer code = new Wasm.Writer().u32(2).u32(locals).u8(Wasm.I64).u32(2).u8((byte) 0x7F);
    for (int l = 1; l <= locals; l++) {
      code.u8(Instr.LOCAL_GET).u32(0).u8(0x42).sleb(l).u8(0x7E).u8(Instr.LOCAL_SET).u32(l);
    }
    code.u8(0x41).sleb(300).u8(Instr.LOCAL_SET).u32(fuel);
    code.u8(Instr.BLOCK).u8(0x40).u8(Instr.LOOP).u8(0x40); // block $exit, loop $L
    code.u8(Instr.LOCAL_GET).u32(fuel).u8(0x45).u8(Instr.BR_IF).u32(1); // i32.eqz
    code.u8(Instr.LOCAL_GET).u32(fuel).u8(0x41).sleb(1).u8(0x6B).u8(Instr.LOCAL_SET).u32(fuel);
    for (int k = 0; k < cases; k++) {
      code.u8(Instr.BLOCK).u8(0x40);
    }
    code.u8(Instr.LOCAL_GET).u32(pc).u8(0x41).sleb(7).u8(0x6C).u8(0x41).sleb(3).u8(0x6A);
    code.u8(0x41).sleb(cases).u8(0x70).u8(Instr.LOCAL_TEE).u32(pc); // i32.rem_u
    code.u8(Instr.BR_TABLE).u32(cases);
    for (int k = 0; k < cases; k++) {
      code.u32(k);
    }
    code.u32(cases - 1);
    var random = new java.util.Random(24);
    for (int k = 0; k < cases; k++) {
      code.u8(Instr.END); // of case k's block: its code follows, in the enclosing blocks
      for (int st = 0; st < statements; st++) {
        code.u8(Instr.LOCAL_GET).u32(1 + random.nextInt(locals));
        for (int j = 1; j < 6; j++) {
          code.u8(Instr.LOCAL_GET).u32(1 + random.nextInt(locals)).u8(j % 2 == 0 ? 0x7C : 0x85);
        }
        code.u8(Instr.LOCAL_SET).u32(1 + random.nextInt(locals));
      }
      int toLoop = cases - 1 - k; // the blocks of the later cases enclose this code
      if (k % 5 == 4) { // leave if local 1 is odd
        code.u8(Instr.LOCAL_GET).u32(1).u8(0x42).sleb(1).u8(0x83).u8(0xA7); // i64.and, wrap
        code.u8(Instr.BR_IF).u32(toLoop + 1);
      }
      if (k % 3 != 2) {
        code.u8(Instr.BR).u32(toLoop);
      }
    }
    code.u8(Instr.END).u8(Instr.END); // loop, block
    code.u8(0x42).sleb(0);
    for (int l = 1; l <= locals; l++) {
      code.u8(Instr.LOCAL_GET).u32(l).u8(0x7C);
    }
    code.u8(Instr.END);
    return runModule(code);
  }

  @Test
  void aModuleWithoutLargeFunctionsComesBackAsItWas() throws Exception {
    byte[] small = Files.readAllBytes(Path.of("src", "test", "resources", "wasm", "recurse.wasm"));
    assertThat(Splitter.hasLargeFunctions(small)).isFalse();
    Splitter.Result result = Splitter.split(small);
    assertThat(result.changed()).isFalse();
    assertThat(result.wasm()).isSameAs(small);
    assertThat(result.notSplit()).isEmpty();
  }
}
