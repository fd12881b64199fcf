package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Functions too large for one JVM method: split and compiled when they can be, else run by
 * Chicory's interpreter with a warning through our logging (never Chicory's own line on stderr).
 */
class LargeFunctionTest {
  private static final OutboundHttp.Policy NO_OUTBOUND =
      new OutboundHttp.Policy(host -> false, 0, Duration.ofSeconds(30));

  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(CompiledModule.class);
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private PrintStream systemErr;

  @BeforeEach
  void capture() {
    logged.start();
    logger.addAppender(logged);
    systemErr = System.err;
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void release() {
    System.setErr(systemErr);
    logger.detachAppender(logged);
  }

  private List<String> messages() {
    return logged.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  private static byte[] run(byte[] wasm) throws Exception {
    Guest guest =
        CompiledModule.compile(wasm, null, "test module (route /big)")
            .prepare(Map.of(), 1L << 20, 1L << 20, NO_OUTBOUND);
    var stdout = new ByteArrayOutputStream();
    GuestResult result =
        guest.run("_start", List.of("x"), Map.of(), InputStream.nullInputStream(), stdout);
    assertThat(result.exitCode()).isZero();
    return stdout.toByteArray();
  }

  /** 5,000 statements (20,000 instructions): split into pieces, all compiled. */
  @Test
  void aLargeFunctionOfManyStatementsIsSplitAndCompiled() throws Exception {
    Code body = new Code();
    for (int i = 0; i < 5000; i++) {
      body.op(0x23).u32(0).op(0x41).u32(1).op(0x6A).op(0x24).u32(0); // g += 1
    }
    body.op(0x23).u32(0); // the byte written: g & 255
    assertThat(run(module(body))).containsExactly((byte) (5000 & 255));
    assertThat(messages())
        .anyMatch(m -> m.startsWith("INFO test module (route /big): split 1 functions"))
        .noneMatch(m -> m.startsWith("WARN"));
    assertThat(stderr.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  /**
   * An import jwagi cannot provide (as ruby.wasm's rb-js-abi-host functions) fails the module once,
   * naming the import, before any splitting: no splitter fallback warning, no second compile.
   */
  @Test
  void anUnknownImportIsReportedBeforeSplitting() {
    Code body = new Code();
    for (int i = 0; i < 5000; i++) {
      body.op(0x23).u32(0).op(0x41).u32(1).op(0x6A).op(0x24).u32(0); // g += 1
    }
    body.op(0x23).u32(0);
    byte[] wasm = module(body, "rb-js-abi-host");
    assertThatThrownBy(() -> CompiledModule.compile(wasm, null, "test module (route /big)"))
        .isInstanceOf(ModuleLoadException.class)
        .hasMessageContaining("it imports function \"rb-js-abi-host\".\"fd_write\"");
    assertThat(messages()).isEmpty();
  }

  /** A restart with the module cache reads the split and the compiled classes: no pass runs. */
  @Test
  void aRestartReadsTheSplitFromTheModuleCache(@TempDir Path dir) throws Exception {
    Code body = new Code();
    for (int i = 0; i < 5000; i++) {
      body.op(0x23).u32(0).op(0x41).u32(1).op(0x6A).op(0x24).u32(0); // g += 1
    }
    body.op(0x23).u32(0);
    byte[] wasm = module(body);
    assertThat(CompiledModule.compile(wasm, new DiskCache(dir), "m").cacheHit()).isFalse();
    assertThat(messages()).anyMatch(m -> m.startsWith("INFO m: split 1 functions"));
    logged.list.clear();
    CompiledModule again = CompiledModule.compile(wasm, new DiskCache(dir), "m");
    assertThat(again.cacheHit()).isTrue();
    assertThat(messages()).isEmpty();
    // Every function is compiled: the restart parsed no function body.
    assertThat(again.functionBodySizes()).isNotEmpty().containsOnly(0);
    var stdout = new ByteArrayOutputStream();
    again
        .prepare(Map.of(), 1L << 20, 1L << 20, NO_OUTBOUND)
        .run("_start", List.of("x"), Map.of(), InputStream.nullInputStream(), stdout);
    assertThat(stdout.toByteArray()).containsExactly((byte) (5000 & 255));
  }

  /**
   * A function left to Chicory's interpreter needs its body on a restart too (the compiled classes
   * call the interpreter with it): the hit parses the bodies, and the function runs as before.
   */
  @Test
  void aRestartKeepsTheBodiesWhenAFunctionIsInterpreted(@TempDir Path dir) throws Exception {
    Code body = new Code();
    body.op(0x41).u32(0);
    for (int i = 0; i < 40_000; i++) {
      body.op(0x41).u32(1).op(0x6A); // + 1
    }
    byte[] wasm = module(body);
    assertThat(CompiledModule.compile(wasm, new DiskCache(dir), "m").cacheHit()).isFalse();
    CompiledModule again = CompiledModule.compile(wasm, new DiskCache(dir), "m");
    assertThat(again.cacheHit()).isTrue();
    assertThat(again.functionBodySizes()).anyMatch(n -> n > 40_000);
    var stdout = new ByteArrayOutputStream();
    GuestResult result =
        again
            .prepare(Map.of(), 1L << 20, 1L << 20, NO_OUTBOUND)
            .run("_start", List.of("x"), Map.of(), InputStream.nullInputStream(), stdout);
    assertThat(result.exitCode()).isZero();
    assertThat(stdout.toByteArray()).containsExactly((byte) (40_000 & 255));
  }

  /**
   * The module cache is looked up before parsing, by the key Chicory's compiler uses: the digest
   * its parser writes (a Chicory internal, see docs/architecture.md).
   */
  @Test
  void theCacheKeyIsTheDigestChicorysParserWrites() throws Exception {
    Code body = new Code();
    body.op(0x23).u32(0);
    byte[] wasm = module(body);
    var parsed =
        com.dylibso.chicory.wasm.Parser.builder()
            .build()
            .parse(() -> new java.io.ByteArrayInputStream(wasm));
    assertThat(CompiledModule.chicoryKey(wasm)).isEqualTo(parsed.digest());
  }

  /**
   * One statement of 80,000 instructions cannot be split: Chicory interprets it, and says so
   * through our logger, naming the module and the function (this reads Chicory's FAIL message).
   */
  @Test
  void aFunctionThatCannotBeSplitRunsInterpretedAndIsLogged() throws Exception {
    Code body = new Code();
    body.op(0x41).u32(0);
    for (int i = 0; i < 40_000; i++) {
      body.op(0x41).u32(1).op(0x6A); // + 1
    }
    assertThat(run(module(body))).containsExactly((byte) (40_000 & 255));
    assertThat(messages())
        .contains(
            "WARN test module (route /big): wasm function 1 cannot be split (no run of whole"
                + " statements left to move); it may run in the JVM's bytecode"
                + " interpreter or Chicory's, much slower",
            "WARN test module (route /big): wasm function 1 is too large for a JVM method: it"
                + " runs in Chicory's interpreter, much slower");
    assertThat(stderr.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  /**
   * A statement too long to split but small enough for one JVM method: HotSpot never JIT-compiles a
   * method over its huge-method limit, so jwagi says so, naming the function and its size.
   */
  @Test
  void aMethodOverHotSpotsLimitIsLogged() throws Exception {
    Code body = new Code();
    body.op(0x41).u32(0);
    for (int i = 0; i < 6_000; i++) {
      body.op(0x41).u32(100).op(0x6A); // + 100
    }
    assertThat(run(module(body))).containsExactly((byte) (600_000 & 255));
    assertThat(messages())
        .anyMatch(
            m ->
                m.matches(
                    "WARN test module \\(route /big\\): wasm function 1 compiled to \\d+ bytes"
                        + " of JVM bytecode, over HotSpot's 8000-byte limit for JIT compilation:"
                        + " it runs in the JVM's bytecode interpreter, much slower"));
  }

  /** Split at the default limit, no method is over HotSpot's, and nothing of that is logged. */
  @Test
  void noMethodOverHotSpotsLimitIsLoggedOnceSplit() throws Exception {
    Code body = new Code();
    for (int i = 0; i < 5000; i++) {
      body.op(0x23).u32(0).op(0x41).u32(1).op(0x6A).op(0x24).u32(0); // g += 1
    }
    body.op(0x23).u32(0);
    run(module(body));
    assertThat(messages()).noneMatch(m -> m.contains("over HotSpot's"));
  }

  /**
   * A module importing fd_write, with one page of memory and a global, whose {@code _start} runs
   * {@code body} (which leaves an i32) and writes its low byte to stdout.
   */
  private static byte[] module(Code body) {
    return module(body, "wasi_snapshot_preview1");
  }

  /** The module, its fd_write imported from {@code importModule}. */
  private static byte[] module(Code body, String importModule) {
    Code types = new Code().u32(2);
    types.op(0x60).u32(4).op(0x7F).op(0x7F).op(0x7F).op(0x7F).u32(1).op(0x7F); // fd_write
    types.op(0x60).u32(0).u32(0); // _start
    Code imports = new Code().u32(1).name(importModule).name("fd_write").op(0).u32(0);
    Code functions = new Code().u32(1).u32(1);
    Code memory = new Code().u32(1).op(0).u32(1);
    Code globals = new Code().u32(1).op(0x7F).op(1).op(0x41).u32(0).op(0x0B);
    Code exports = new Code().u32(2).name("_start").op(0).u32(1).name("memory").op(2).u32(0);
    Code code = new Code().u32(1).u32(1).op(0x7F); // one i32 local
    code.bytes(body.toByteArray());
    code.op(0x41).u32(255).op(0x71).local(); // & 255, kept at 8
    code.op(0x41).u32(0).op(0x41).u32(8).op(0x36).u32(2).u32(0); // iov.ptr = 8
    code.op(0x41).u32(4).op(0x41).u32(1).op(0x36).u32(2).u32(0); // iov.len = 1
    code.op(0x41).u32(1).op(0x41).u32(0).op(0x41).u32(1).op(0x41).u32(16).op(0x10).u32(0);
    code.op(0x1A).op(0x0B); // drop errno; end
    Code out = new Code();
    out.bytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    out.section(1, types).section(2, imports).section(3, functions).section(5, memory);
    out.section(6, globals).section(7, exports);
    out.section(10, new Code().u32(1).sized(code));
    return out.toByteArray();
  }

  /** Wasm bytes. */
  private static final class Code extends ByteArrayOutputStream {
    Code op(int b) {
      write(b);
      return this;
    }

    Code u32(long v) {
      do {
        int b = (int) (v & 0x7F);
        v >>>= 7;
        write(v != 0 ? b | 0x80 : b);
      } while (v != 0);
      return this;
    }

    Code bytes(byte[] b) {
      write(b, 0, b.length);
      return this;
    }

    Code name(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return u32(b.length).bytes(b);
    }

    /** Stores the i32 on the stack at address 8 (as a byte, for stdout). */
    Code local() {
      return op(0x21).u32(0).op(0x41).u32(8).op(0x20).u32(0).op(0x3A).u32(0).u32(0);
    }

    Code sized(Code c) {
      return u32(c.size()).bytes(c.toByteArray());
    }

    Code section(int id, Code c) {
      return op(id).sized(c);
    }
  }
}
