package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A prepared guest run directly, on real modules (WAT, assembled as the server does). */
class GuestTest {
  private static final OutboundHttp.Policy NO_OUTBOUND =
      new OutboundHttp.Policy(url -> false, 0, Duration.ofSeconds(30));

  private static ModuleLoader loader;

  @BeforeAll
  static void assembler() {
    loader = new ModuleLoader(null);
  }

  private static Guest guest(String wat) throws Exception {
    byte[] wasm = loader.load(Path.of("src", "test", "resources", "wasm", wat));
    return CompiledModule.compile(wasm, null).prepare(Map.of(), 16L << 20, 1L << 20, NO_OUTBOUND);
  }

  private static byte[] run(Guest guest, String entrypoint) throws Exception {
    var stdout = new ByteArrayOutputStream();
    GuestResult result =
        guest.run(entrypoint, List.of("x"), Map.of(), InputStream.nullInputStream(), stdout);
    assertThat(result.exitCode()).isZero();
    return stdout.toByteArray();
  }

  /**
   * Globals and tables are the instance's own: a run that grew its table and changed its global
   * leaves both as the module declares them for the next run (Chicory grows the limits of the table
   * definition an instance was made from: shared, they would carry the growth over).
   */
  @Test
  void tablesAndGlobalsStartFreshEveryRun() throws Exception {
    Guest guest = guest("tables.wat");
    for (int i = 0; i < 5; i++) {
      assertThat(new String(run(guest, "_start"), StandardCharsets.US_ASCII))
          .as("run %d", i)
          .isEqualTo("1 5 7\n");
    }
  }

  /**
   * max_table_elements: the elements of a run's tables together (declared sizes included) stop at
   * the cap, table.grow beyond returns -1; and what the tables grow by is charged to the memory
   * budget (refused when it does not fit) and given back when the run ends.
   */
  @Test
  void tableGrowthStopsAtTheCapAndIsChargedToTheBudget() throws Exception {
    Guest capped = guest("tablegrow.wat");
    capped.maxTableElements(100);
    for (int i = 0; i < 2; i++) {
      assertThat(new String(run(capped, "_start"), StandardCharsets.US_ASCII))
          .as("run %d: each run's tables start as declared", i)
          .endsWith("\n\nYYNYN\n");
    }

    var budget = new dev.jwagi.memory.MemoryBudget(64L << 20);
    byte[] wasm = loader.load(Path.of("src", "test", "resources", "wasm", "tablegrow.wat"));
    Guest charged =
        CompiledModule.compile(wasm, null)
            .prepare(Map.of(), java.util.Set.of(), 16L << 20, 1L << 20, NO_OUTBOUND, budget);
    charged.maxTableElements(3_000_000);
    assertThat(new String(run(charged, "_start"), StandardCharsets.US_ASCII)).endsWith("\nYYYYY\n");
    long afterRun = budget.used(); // the pooled memory's share stays charged; the tables' does not
    assertThat(budget.peak() - afterRun)
        .as("2,000,098 elements charged while the run lasted")
        .isGreaterThanOrEqualTo(2_000_098L * GuestTables.BYTES_PER_ELEMENT);

    var small = new dev.jwagi.memory.MemoryBudget(4L << 20);
    Guest refused =
        CompiledModule.compile(wasm, null)
            .prepare(Map.of(), java.util.Set.of(), 16L << 20, 1L << 20, NO_OUTBOUND, small);
    refused.maxTableElements(3_000_000);
    assertThat(new String(run(refused, "_start"), StandardCharsets.US_ASCII))
        .as("16 MB of table elements do not fit a 4 MiB budget")
        .endsWith("\nYYYYN\n");
    long pooled = small.used();
    run(refused, "_start");
    assertThat(small.used()).as("nothing of the tables stays charged").isEqualTo(pooled);
  }

  /**
   * jwagi answers fd_fdstat_get and fd_prestat_get itself while the guest has not needed Chicory's
   * WASI state: byte for byte what Chicory answers.
   */
  @Test
  void directStdioAnswersAreChicorys() throws Exception {
    Guest guest = guest("fdstat.wat");
    byte[] direct = run(guest, "_start");
    byte[] chicory = run(guest, "afterClock");
    assertThat(direct).hasSize(172).isEqualTo(chicory);
    // and they are what they should be: stdout is not a tty, may be written, fd 3 is no file
    assertThat(direct[28 + 4]).isZero(); // filetype unknown
    assertThat(direct[28 + 4 + 8]).isEqualTo((byte) (1 << 6)); // rights: fd_write
    assertThat(direct[84]).isEqualTo((byte) 8); // fd 3: EBADF
  }

  /**
   * Argv and environment blocks made when the guest first asks: a guest that reads neither never
   * has them built; one that reads them gets them whole.
   */
  @Test
  void deferredArgvAndEnvAreBuiltOnlyForAGuestThatReadsThem() throws Exception {
    var argv = StringBlock.deferred(() -> StringBlock.of(List.of("/env", "a=1")));
    var env = StringBlock.deferred(() -> StringBlock.of(List.of("X_TEST=yes")));
    run(guest("tables.wat"), argv, env);
    assertThat(argv.isBuilt()).isFalse();
    assertThat(env.isBuilt()).isFalse();

    byte[] wasm = Files.readAllBytes(Path.of("examples", "modules", "env.wasm"));
    Guest reader =
        CompiledModule.compile(wasm, null).prepare(Map.of(), 16L << 20, 1L << 20, NO_OUTBOUND);
    String out = new String(run(reader, argv, env), StandardCharsets.UTF_8);
    assertThat(argv.isBuilt()).isTrue();
    assertThat(env.isBuilt()).isTrue();
    assertThat(out).contains("X_TEST=yes").contains("a=1");
  }

  private static byte[] run(Guest guest, StringBlock argv, StringBlock env) throws Exception {
    var stdout = new ByteArrayOutputStream();
    GuestResult result =
        guest.run("_start", argv, env, InputStream.nullInputStream(), stdout, null);
    assertThat(result.exitCode()).isZero();
    return stdout.toByteArray();
  }
}
