package dev.jwagi.engine.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The splitter's size estimate against the bytecode Chicory really emits, read by {@link
 * JvmMethodSizes} from the classes Chicory 1.7.5 hands its {@link Cache} (a Chicory internal, see
 * docs/architecture.md): this also guards that reading.
 */
class JvmMethodSizeTest {
  private static final Path FIB = Path.of("src", "test", "resources", "wasm", "fib.wasm");

  /** Wasm function index to the bytecode length of its JVM method. */
  private static Map<Integer, Integer> methodSizes(WasmModule module) throws IOException {
    Map<String, byte[]> stored = new TreeMap<>();
    Cache cache =
        new Cache() {
          @Override
          public byte[] get(String key) {
            return stored.get(key);
          }

          @Override
          public void putIfAbsent(String key, byte[] data) {
            stored.putIfAbsent(key, data);
          }
        };
    MachineFactoryCompiler.builder(module).withCache(cache).compile();
    assertThat(stored).hasSize(1);
    return JvmMethodSizes.of(stored.values().iterator().next());
  }

  private static WasmModule parse(byte[] wasm) {
    return Parser.builder().build().parse(() -> new ByteArrayInputStream(wasm));
  }

  /**
   * Chicory emits at most BYTES_PER_INSTRUCTION bytes per instruction for functions that matter.
   */
  @Test
  void theEstimateBoundsChicorysMethodsForLargeFunctions() throws Exception {
    WasmModule module = parse(Files.readAllBytes(FIB));
    int imported = module.importSection().count(ExternalType.FUNCTION);
    int checked = 0;
    for (var e : methodSizes(module).entrySet()) {
      if (e.getKey() < imported) {
        continue; // an import's method only calls the host
      }
      int instructions =
          module.codeSection().getFunctionBody(e.getKey() - imported).instructions().size();
      if (instructions > Splitter.DEFAULT_TARGET) {
        checked++;
        assertThat(e.getValue())
            .as("func_%d, %d instructions", e.getKey(), instructions)
            .isLessThanOrEqualTo(instructions * Splitter.BYTES_PER_INSTRUCTION);
      }
    }
    assertThat(checked).isPositive();
  }

  /** fib.wasm whole has a method (printf's core) HotSpot never JIT-compiles; split, none. */
  @Test
  void afterTheDefaultSplitEveryMethodIsJitCompilable() throws Exception {
    byte[] whole = Files.readAllBytes(FIB);
    assertThat(methodSizes(parse(whole)).values())
        .anyMatch(size -> size > Splitter.HUGE_METHOD_BYTES);
    assertThat(methodSizes(parse(Splitter.split(whole).wasm())).values())
        .allMatch(size -> size <= Splitter.HUGE_METHOD_BYTES);
  }
}
