package dev.jwagi.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a module's wasm bytes: a {@code .wasm} file as it is; a {@code .wat} (text) file assembled
 * by wabt's wat2wasm, itself a WASI module (from the com.dylibso.chicory:wabt jar) run as a guest
 * on this engine, compiled once on first use (and cached like any module).
 */
public final class ModuleLoader {
  private static final String WAT2WASM = "/wat2wasm";
  private static final long WAT2WASM_MEMORY = 512L << 20;
  private static final long WAT2WASM_OUTPUT = 16L << 20;

  private final DiskCache cache;
  private CompiledModule wat2wasm;

  /** cache: where compiled modules (wat2wasm included) are kept, or null. */
  public ModuleLoader(DiskCache cache) {
    this.cache = cache;
  }

  public byte[] load(Path file) throws ModuleLoadException, IOException {
    if (!file.getFileName().toString().endsWith(".wat")) {
      return Files.readAllBytes(file);
    }
    Path work = Files.createTempDirectory("jwagi-wat");
    try {
      Files.copy(file, work.resolve("in.wat"));
      Guest assembler =
          wat2wasm()
              .prepare(
                  Map.of("/work", work),
                  WAT2WASM_MEMORY,
                  WAT2WASM_OUTPUT,
                  OutboundHttp.Policy.DENY_ALL);
      GuestResult result;
      try {
        result =
            assembler.run(
                "_start",
                List.of("wat2wasm", "/work/in.wat", "-o", "/work/out.wasm"),
                Map.of(),
                new byte[0]);
      } catch (GuestFailure e) {
        throw new ModuleLoadException("wat2wasm failed: " + e.getMessage(), e);
      }
      if (result.exitCode() != 0) {
        // wat2wasm names the file as it saw it; give the user's name instead.
        String errors =
            new String(result.stderr(), StandardCharsets.UTF_8)
                .replace("/work/in.wat", file.getFileName().toString())
                .strip();
        throw new ModuleLoadException("it is not valid WebAssembly text:\n" + errors);
      }
      return Files.readAllBytes(work.resolve("out.wasm"));
    } finally {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private synchronized CompiledModule wat2wasm() throws ModuleLoadException, IOException {
    if (wat2wasm == null) {
      try (InputStream in = ModuleLoader.class.getResourceAsStream(WAT2WASM)) {
        if (in == null) {
          throw new ModuleLoadException("wat2wasm is missing from the classpath (wabt jar)");
        }
        wat2wasm = CompiledModule.compile(in.readAllBytes(), cache);
      }
    }
    return wat2wasm;
  }
}
