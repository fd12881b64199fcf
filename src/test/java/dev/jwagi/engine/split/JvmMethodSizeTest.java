package dev.jwagi.engine.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * The splitter's size estimate against the bytecode Chicory really emits: it reads the classes
 * Chicory 1.7.5 hands its {@link Cache} (a jar whose {@code *FuncGroup_*} classes hold one static
 * method {@code func_<index>} per wasm function; a Chicory internal, see docs/architecture.md).
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
    Map<Integer, Integer> sizes = new TreeMap<>();
    try (var jar =
        new ZipInputStream(new ByteArrayInputStream(stored.values().iterator().next()))) {
      for (ZipEntry e; (e = jar.getNextEntry()) != null; ) {
        if (e.getName().contains("FuncGroup_")) {
          readMethods(jar.readAllBytes(), sizes);
        }
      }
    }
    return sizes;
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

  /** The code_length of each {@code func_N} method of a class file (JVMS 4.1, 4.6, 4.7.3). */
  private static void readMethods(byte[] classFile, Map<Integer, Integer> sizes)
      throws IOException {
    var in = new DataInputStream(new ByteArrayInputStream(classFile));
    in.skipNBytes(8); // magic, versions
    int constants = in.readUnsignedShort();
    String[] utf8 = new String[constants];
    for (int i = 1; i < constants; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 5, 6 -> { // long, double: two entries
          in.skipNBytes(8);
          i++;
        }
        case 7, 8, 16, 19, 20 -> in.skipNBytes(2);
        case 15 -> in.skipNBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
        default -> throw new IOException("constant pool tag " + tag);
      }
    }
    in.skipNBytes(6); // access, this, super
    in.skipNBytes(2L * in.readUnsignedShort()); // interfaces
    int fields = in.readUnsignedShort();
    for (int i = 0; i < fields; i++) {
      in.skipNBytes(6);
      int attributes = in.readUnsignedShort();
      for (int a = 0; a < attributes; a++) {
        in.skipNBytes(2);
        in.skipNBytes(in.readInt());
      }
    }
    int methods = in.readUnsignedShort();
    for (int i = 0; i < methods; i++) {
      in.skipNBytes(2);
      String name = utf8[in.readUnsignedShort()];
      in.skipNBytes(2);
      int attributes = in.readUnsignedShort();
      for (int a = 0; a < attributes; a++) {
        String attribute = utf8[in.readUnsignedShort()];
        byte[] body = in.readNBytes(in.readInt());
        if (attribute.equals("Code") && name.startsWith("func_")) {
          int length = new DataInputStream(new ByteArrayInputStream(body, 4, 4)).readInt();
          sizes.put(Integer.parseInt(name.substring("func_".length())), length);
        }
      }
    }
  }
}
