package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-initialised modules: Wizer's {@code wizer.initialize} convention and the {@code init} key.
 * The init runs once at start-up; every request starts from the snapshot it left (memory, globals,
 * tables, dropped segments), never from what an earlier request wrote; an init that fails stops
 * start-up naming the file, the route and the key.
 */
@Timeout(120)
class PreinitIT {
  /**
   * snapshot.wat's routes from its init's snapshot: its state, a dropped data segment and a dropped
   * element segment (SnapshotCacheIT serves them from a kept snapshot too).
   */
  static final String STATE_ROUTES =
      TestServer.module("/state", TestServer.wat("snapshot"), "init = \"init\"")
          + TestServer.module(
              "/state/data",
              TestServer.wat("snapshot"),
              "init = \"init\"",
              "entrypoint = \"useDroppedData\"")
          + TestServer.module(
              "/state/elem",
              TestServer.wat("snapshot"),
              "init = \"init\"",
              "entrypoint = \"useDroppedElem\"");

  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    Path english = Files.createDirectories(dir.resolve("english"));
    Files.writeString(english.resolve("greeting.txt"), "hello\n");
    Path french = Files.createDirectories(dir.resolve("french"));
    Files.writeString(french.resolve("greeting.txt"), "bonjour\n");
    String toml =
        TestServer.module("/wizer/...", TestServer.wasm("wizer"))
            // The same module and init again: the snapshot is shared, the init ran once.
            + TestServer.module("/again", TestServer.wasm("wizer"))
            // What Wizer itself made of wizer.wasm (wasm/build.sh): the differential test.
            + TestServer.module("/wizened/...", TestServer.wasm("wizer.wizened"))
            // The opt-out: the same module, not pre-initialised.
            + TestServer.module("/nowizer/...", TestServer.wasm("wizer"), "init = false")
            + TestServer.module("/initenv/...", TestServer.wasm("initenv"))
            + TestServer.module("/boot", TestServer.wasm("boot"), "init = \"boot\"")
            + TestServer.module("/noboot", TestServer.wasm("boot"))
            + STATE_ROUTES
            + TestServer.module(
                "/plain/data", TestServer.wat("snapshot"), "entrypoint = \"useDroppedData\"")
            + TestServer.module(
                "/volume/en",
                TestServer.wasm("initvolume"),
                "init = \"boot\"",
                "volumes = { \"/data\" = " + TestServer.tomlString(english) + " }")
            + TestServer.module(
                "/volume/fr",
                TestServer.wasm("initvolume"),
                "init = \"boot\"",
                "volumes = { \"/data\" = " + TestServer.tomlString(french) + " }");
    server = TestServer.start(dir, toml, cache(dir));
  }

  /**
   * A module cache of the test's own: the tests see the init's stderr, which a snapshot kept in the
   * shared cache by an earlier build or test would spare (SnapshotCacheIT tests that).
   */
  private static String[] cache(Path where) {
    return new String[] {"--module-cache", where.resolve("cache").toString()};
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
  }

  @Test
  void wizerInitializeRunsOnceAndEveryRequestStartsFromItsSnapshot() throws Exception {
    for (int i = 0; i < 3; i++) {
      var response = server.get("/wizer/x" + i);
      assertThat(response.statusCode()).isEqualTo(200);
      // Each request wrote over the table, the string and the counter; the next sees none of it.
      assertThat(TestServer.text(response))
          .as("request %d", i)
          .isEqualTo("inits=1 hits=0 square=152399025 greeting=made at init path=/x" + i + "\n");
    }
  }

  @Test
  void routesSharingTheModuleAndItsInitShareOneSnapshot() throws Exception {
    assertThat(TestServer.text(server.get("/again")))
        .startsWith("inits=1 hits=0 square=152399025 greeting=made at init");
    // The init wrote to stderr once: into the log of the first route that uses it.
    Path logs = server.logDir();
    assertThat(Files.readString(logs.resolve("wizer_wildcard.stderr.log")))
        .isEqualTo("wizer.initialize ran\n");
    assertThat(logs.resolve("again.stderr.log")).doesNotExist();
  }

  /**
   * {@code init = false}: a module exporting wizer.initialize is served as it is, its init never
   * run (main sees none of its state), and the route does not use the other routes' snapshot.
   */
  @Test
  void initFalseServesAWizerModuleWithoutItsInit() throws Exception {
    for (int i = 0; i < 2; i++) {
      assertThat(TestServer.text(server.get("/nowizer/y")))
          .isEqualTo("inits=0 hits=0 square=0 greeting=(none) path=/y\n");
    }
    assertThat(server.logDir().resolve("nowizer_wildcard.stderr.log")).doesNotExist();
  }

  @Test
  void anInitThatIsNeitherANameNorFalseIsAStartUpError() {
    for (String value : List.of("true", "1", "[\"init\"]")) {
      Path caseDir = dir.resolve("bad-init-" + value.length());
      assertThatThrownBy(
              () ->
                  TestServer.start(
                          caseDir,
                          TestServer.module("/b", TestServer.wasm("wizer"), "init = " + value))
                      .close())
          .as(value)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(caseDir.resolve("modules.toml").toString())
          .hasMessageContaining("route \"/b\"")
          .hasMessageContaining(
              "key `init` must be the name of an exported function (a string), or false");
    }
  }

  /** Wizer's own snapshot of wizer.wasm answers exactly as jwagi's snapshot does. */
  @Test
  void jwagisSnapshotAnswersAsWizersOutput() throws Exception {
    for (String path : List.of("/a", "/b/c", "")) {
      var ours = server.get("/wizer" + path);
      var wizers = server.get("/wizened" + path);
      assertThat(TestServer.text(ours)).isEqualTo(TestServer.text(wizers));
      assertThat(ours.headers().map()).isEqualTo(wizers.headers().map());
    }
  }

  /**
   * What the README warns of: an init that reads the environment keeps the init's (empty) one, and
   * requests from the snapshot see no CGI variables through getenv.
   */
  @Test
  void anInitThatReadsTheEnvironmentFreezesItsEmptyEnvironment() throws Exception {
    assertThat(TestServer.text(server.get("/initenv/a")))
        .isEqualTo("init saw (none); request sees (none)\n");
  }

  /**
   * An init reads the route's volumes (an interpreter loading its libraries) but cannot change
   * them; requests open files through the preopened descriptors the init saw. Routes with other
   * volumes get a snapshot of their own.
   */
  @Test
  void theInitSeesTheRoutesVolumesReadOnly() throws Exception {
    assertThat(TestServer.text(server.get("/volume/en")))
        .isEqualTo(
            "init read hello; init write failed: Read-only file system; request read hello\n");
    assertThat(TestServer.text(server.get("/volume/fr")))
        .isEqualTo(
            "init read bonjour; init write failed: Read-only file system; request read bonjour\n");
    assertThat(dir.resolve("english").resolve("written.txt")).doesNotExist();
  }

  @Test
  void theInitKeyPreinitialisesOnlyItsRoute() throws Exception {
    assertThat(TestServer.text(server.get("/boot")))
        .isEqualTo("booted by init: 295947 primes below 4194304, the 1000th is 7919\n");
    assertThat(TestServer.text(server.get("/noboot")))
        .isEqualTo("booted by main: 295947 primes below 4194304, the 1000th is 7919\n");
  }

  /**
   * Globals, a grown table and its new entry, a grown memory and the dropped segments are the
   * snapshot's in every request, however the previous request changed them; the start function ran
   * once, before the init, and not again.
   */
  @Test
  void globalsTablesAndSegmentsComeFromTheSnapshot() throws Exception {
    for (int i = 0; i < 3; i++) {
      var response = server.get("/state");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(response)).as("request %d", i).isEqualTo("1 1 4 3 8 2 p x 7\n");
    }
    // The init dropped both passive segments: using them traps (500). Without the init the data
    // segment is still there: the export returns, having printed nothing (no CGI output: 502).
    assertThat(server.get("/state/data").statusCode()).isEqualTo(500);
    assertThat(server.get("/state/elem").statusCode()).isEqualTo(500);
    assertThat(server.get("/plain/data").statusCode()).isEqualTo(502);
  }

  /**
   * A reload keeps the snapshot of a module whose bytes did not change: the init does not run
   * again, even after a garbage collection (the serving table holds the module it was made from).
   */
  @Test
  void aReloadReusesTheSnapshotOfAnUnchangedModule() throws Exception {
    Path reloadDir = dir.resolve("reload");
    String toml = TestServer.module("/w/...", TestServer.wasm("wizer"));
    try (TestServer reloading = TestServer.start(reloadDir, toml, cache(reloadDir))) {
      System.gc();
      Files.writeString(
          reloadDir.resolve("modules.toml"),
          toml + TestServer.module("/hello", TestServer.example("hello")));
      assertThat(reloading.jwagi().reloader().reload("test").ok()).isTrue();
      assertThat(TestServer.text(reloading.get("/w/r")))
          .isEqualTo("inits=1 hits=0 square=152399025 greeting=made at init path=/r\n");
      assertThat(TestServer.text(reloading.get("/hello"))).isNotEmpty();
      assertThat(Files.readString(reloading.logDir().resolve("w_wildcard.stderr.log")))
          .isEqualTo("wizer.initialize ran\n");
    }
  }

  @Test
  void anInitThatFailsStopsStartUpNamingFileRouteAndKey() throws Exception {
    String module = TestServer.wasm("initfail");
    List<String[]> cases = new ArrayList<>();
    cases.add(new String[] {"trap_init", "\"trap_init\" failed: ", "unreachable"});
    cases.add(new String[] {"exit_init", "exited with code 3", "must return"});
    cases.add(new String[] {"exit0_init", "exited with code 0", "must return"});
    cases.add(new String[] {"nothere", "exports no function \"nothere\"", "key `init`"});
    cases.add(new String[] {"loop_init", "still running after the route's timeout of 300 ms", ""});
    for (String[] c : cases) {
      Path caseDir = dir.resolve(c[0]);
      String toml =
          TestServer.module("/fail", module, "init = \"" + c[0] + "\"", "timeout = \"300ms\"");
      assertThatThrownBy(() -> TestServer.start(caseDir, toml).close())
          .as(c[0])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(caseDir.resolve("modules.toml").toString())
          .hasMessageContaining("route \"/fail\"")
          .hasMessageContaining("key `init`")
          .hasMessageContaining(c[1])
          .hasMessageContaining(c[2]);
    }
    String stderr =
        Files.readString(dir.resolve("trap_init").resolve("logs").resolve("fail.stderr.log"));
    assertThat(stderr).isEqualTo("about to trap\n");
  }

  @Test
  void anEmptyInitKeyIsAStartUpError() {
    Path caseDir = dir.resolve("empty");
    assertThatThrownBy(
            () ->
                TestServer.start(
                        caseDir,
                        TestServer.module("/e", TestServer.wasm("initfail"), "init = \"\""))
                    .close())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("route \"/e\"")
        .hasMessageContaining("key `init` must name an exported function");
  }
}
