import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import dev.jwagi.engine.split.Splitter;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compiles one module with Chicory as jwagi does, without linking it (so a module with imports
 * jwagi does not provide, such as zeroperl's, can be measured): "whole" as Chicory takes it (a
 * function too large for a JVM method is interpreted, after Chicory restarts its compile), or
 * "split" after jwagi's splitter. Prints the seconds each step took and what was interpreted. With
 * a CACHE folder, the compiled classes go through jwagi's module cache ({@code DiskCache}) as a
 * compile by jwagi writes them (its size is printed).
 *
 * <p>java -cp jwagi.jar bench/big/CompileModule.java FILE whole|split [CACHE]
 */
public class CompileModule {
  public static void main(String[] args) throws Exception {
    byte[] wasm = Files.readAllBytes(Path.of(args[0]));
    long t0 = System.nanoTime();
    if (args[1].equals("split")) {
      var result = Splitter.split(wasm);
      wasm = result.wasm();
      System.out.printf(
          "split: %.1f s, %d functions split into %d more, not split: %s%n",
          (System.nanoTime() - t0) / 1e9, result.split().size(), result.created(),
          result.notSplit());
    }
    byte[] code = wasm;
    long t1 = System.nanoTime();
    var module =
        Parser.builder().withValidation(true).build().parse(() -> new ByteArrayInputStream(code));
    long t2 = System.nanoTime();
    System.out.printf("parse + validate: %.1f s%n", (t2 - t1) / 1e9);
    var builder = MachineFactoryCompiler.builder(module).withInterpreterFallback(InterpreterFallback.WARN);
    if (args.length > 2) {
      builder.withCache(new dev.jwagi.engine.DiskCache(Path.of(args[2])));
    }
    builder.compile();
    long t3 = System.nanoTime();
    System.out.printf("compile: %.1f s; total %.1f s%n", (t3 - t2) / 1e9, (t3 - t0) / 1e9);
    if (args.length > 2) {
      try (var files = Files.walk(Path.of(args[2]))) {
        long bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        System.out.printf("module cache: %.1f MB%n", bytes / 1e6);
      }
    }
  }
}
