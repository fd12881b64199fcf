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
