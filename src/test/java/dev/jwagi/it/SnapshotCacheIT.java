package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pre-initialised module's snapshot is kept in the module cache: a restart on a warm cache serves
 * from it without running the init, and answers exactly as a start that ran it. The init's stderr
 * line in the route's log (appended to by every start) is what shows whether it ran: only the
 * guest's init writes it. An entry that does not verify is not used (a warning), and the init runs
 * and writes it again.
 */
@Timeout(180)
class SnapshotCacheIT {
  @TempDir Path dir;

  private static final String TOML =
      TestServer.module("/wizer/...", TestServer.wasm("wizer"))
          + PreinitIT.STATE_ROUTES
          + TestServer.module("/boot", TestServer.wasm("boot"), "init = \"boot\"");

  private static final List<String> PATHS =
      List.of("/wizer/a", "/wizer/b/c", "/state", "/state/data", "/state/elem", "/boot");

  /** What the routes answer: status and body of each of {@link #PATHS}, twice over. */
  private static Map<String, String> answers(TestServer server) throws Exception {
    Map<String, String> answers = new LinkedHashMap<>();
    for (int round = 0; round < 2; round++) {
      for (String path : PATHS) {
        var response = server.get(path);
        answers.put(round + " " + path, response.statusCode() + " " + TestServer.text(response));
      }
    }
    return answers;
  }

  private int initsLogged() throws Exception {
    Path log = dir.resolve("logs").resolve("wizer_wildcard.stderr.log");
    if (!Files.exists(log)) {
      return 0;
    }
    return (int) Files.readAllLines(log).stream().filter("wizer.initialize ran"::equals).count();
  }

  private static List<Path> snapshots(Path cache) throws Exception {
    try (Stream<Path> files = Files.walk(cache)) {
      return files.filter(p -> p.toString().endsWith(".snapshot")).sorted().toList();
    }
  }

  private TestServer start(Path cache) throws Exception {
    return TestServer.start(dir, TOML, "--module-cache", cache.toString());
  }

  @Test
  void aRestartOnAWarmCacheServesTheSnapshotWithoutRunningTheInit() throws Exception {
    Path cache = dir.resolve("cache");
    Map<String, String> first;
    try (var log = LogCapture.of("dev.jwagi.routing.RoutingTableBuilder");
        var server = start(cache)) {
      first = answers(server);
      assertThat(log.messages()).noneMatch(m -> m.contains("loaded from the module cache"));
    }
    assertThat(initsLogged()).isEqualTo(1);
    // One entry per module and init: wizer's, snapshot.wat's (three routes) and boot's.
    assertThat(snapshots(cache)).hasSize(3);
    assertThat(first.get("0 /wizer/a"))
        .isEqualTo("200 inits=1 hits=0 square=152399025 greeting=made at init path=/a\n");
    assertThat(first.get("0 /state")).isEqualTo("200 1 1 4 3 8 2 p x 7\n");
    assertThat(first.get("0 /boot")).startsWith("200 booted by init: ");

    try (var log = LogCapture.of("dev.jwagi.routing.RoutingTableBuilder");
        var server = start(cache)) {
      assertThat(answers(server)).isEqualTo(first);
      assertThat(log.messages())
          .filteredOn(m -> m.contains("loaded from the module cache"))
          .hasSize(5);
    }
    assertThat(initsLogged()).as("the init ran at the first start only").isEqualTo(1);

    // Without the cache the init runs, and every answer is the same.
    try (var server = TestServer.start(dir, TOML, "--no-module-cache")) {
      assertThat(answers(server)).isEqualTo(first);
    }
    assertThat(initsLogged()).isEqualTo(2);
  }

  /**
   * {@code --prepare-only} (a container image's build) builds the table, so it runs the init and
   * keeps the snapshot: the server started after it does not run the init.
   */
  @Test
  void prepareOnlyKeepsTheSnapshotForTheServer() throws Exception {
    Path cache = dir.resolve("cache");
    String toml = TestServer.module("/wizer/...", TestServer.wasm("wizer"));
    Path config = dir.resolve("modules.toml");
    Files.writeString(config, toml);
    var parsed =
        dev.jwagi.Main.parse(
            new String[] {
              "-c",
              config.toString(),
              "--log-dir",
              dir.resolve("logs").toString(),
              "--module-cache",
              cache.toString(),
              "--prepare-only"
            },
            null);
    var loaded = new dev.jwagi.config.ConfigLoader(dir).load(parsed);
    try (var resources = dev.jwagi.routing.ServerResources.of(loaded.connections())) {
      dev.jwagi.Jwagi.prepare(loaded, resources);
    }
    assertThat(initsLogged()).isEqualTo(1);
    try (var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/wizer/p")))
          .isEqualTo("inits=1 hits=0 square=152399025 greeting=made at init path=/p\n");
    }
    assertThat(initsLogged()).isEqualTo(1);
  }

  /** The memory's maximum is part of the key: the init can see it (memory.grow past it fails). */
  @Test
  void anotherMemoryCapIsAnotherSnapshot() throws Exception {
    Path cache = dir.resolve("cache");
    String toml = TestServer.module("/wizer/...", TestServer.wasm("wizer"));
    String capped =
        TestServer.module("/wizer/...", TestServer.wasm("wizer"), "max_memory = \"8MiB\"");
    for (String config : List.of(toml, capped, toml, capped)) {
      try (var server = TestServer.start(dir, config, "--module-cache", cache.toString())) {
        assertThat(TestServer.text(server.get("/wizer/x"))).contains("inits=1 hits=0");
      }
    }
    assertThat(initsLogged()).isEqualTo(2);
    assertThat(snapshots(cache)).hasSize(2);
  }

  /**
   * A snapshot entry changed on disk (one byte flipped, or cut short) is not used: a warning naming
   * it, the init runs again and answers as before, and the entry is written anew (the next start
   * uses it). So is one that others may write.
   */
  @Test
  void aCorruptEntryIsIgnoredWithAWarningAndRebuilt() throws Exception {
    Path cache = dir.resolve("cache");
    String toml = TestServer.module("/wizer/...", TestServer.wasm("wizer"));
    String expected = "inits=1 hits=0 square=152399025 greeting=made at init path=/x\n";
    try (var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/wizer/x"))).isEqualTo(expected);
    }
    Path entry = snapshots(cache).get(0);
    List<java.util.function.UnaryOperator<byte[]>> damages = new ArrayList<>();
    damages.add(
        bytes -> {
          bytes[bytes.length / 2] ^= 1; // in the memory image
          return bytes;
        });
    damages.add(bytes -> java.util.Arrays.copyOf(bytes, bytes.length - 100));
    int inits = 1;
    for (var damage : damages) {
      Files.write(entry, damage.apply(Files.readAllBytes(entry)));
      try (var log = LogCapture.of("dev.jwagi.engine.DiskCache");
          var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
        assertThat(TestServer.text(server.get("/wizer/x"))).isEqualTo(expected);
        assertThat(log.messages())
            .anyMatch(
                m ->
                    m.contains(entry + " not used")
                        && m.contains("running wizer.initialize instead"));
      }
      assertThat(initsLogged()).isEqualTo(++inits);
      try (var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
        assertThat(TestServer.text(server.get("/wizer/x"))).isEqualTo(expected);
      }
      assertThat(initsLogged()).as("rewritten, then used").isEqualTo(inits);
    }
    // An entry others may write is not used either, however it verifies.
    Files.setPosixFilePermissions(
        entry, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    try (var log = LogCapture.of("dev.jwagi.engine.DiskCache");
        var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/wizer/x"))).isEqualTo(expected);
      assertThat(log.messages()).anyMatch(m -> m.contains(entry + " not used"));
    }
    assertThat(initsLogged()).isEqualTo(++inits);
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(entry)))
        .isEqualTo("rw-------");
  }

  /** initvolume.wasm's route, its init reading /data/greeting.txt from {@code volume}. */
  private static String volumeToml(Path volume) {
    return TestServer.module(
        "/v",
        TestServer.wasm("initvolume"),
        "init = \"boot\"",
        "volumes = { \"/data\" = " + TestServer.tomlString(volume) + " }");
  }

  private static String answer(String atInit, String now) {
    return "init read "
        + atInit
        + "; init write failed: Read-only file system; request read "
        + now
        + "\n";
  }

  /**
   * What the init read from a volume is in its snapshot, so the snapshot is kept only while the
   * volume's files are as they were: a restart after a file changed (its content and size, or only
   * its modified time) runs the init again, and it reads the new file; a restart on unchanged files
   * loads the snapshot.
   */
  @Test
  void aRestartAfterAVolumeFileChangedRunsTheInitAgain() throws Exception {
    Path cache = dir.resolve("cache");
    Path volume = Files.createDirectories(dir.resolve("volume"));
    Path greeting = volume.resolve("greeting.txt");
    Files.writeString(greeting, "hello\n");
    String toml = volumeToml(volume);
    try (var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/v"))).isEqualTo(answer("hello", "hello"));
    }
    try (var log = LogCapture.of("dev.jwagi.routing.RoutingTableBuilder");
        var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/v"))).isEqualTo(answer("hello", "hello"));
      assertThat(log.messages())
          .as("unchanged files: the snapshot is loaded")
          .anyMatch(m -> m.contains("loaded from the module cache"));
    }

    Files.writeString(greeting, "hello again\n");
    try (var log = LogCapture.of("dev.jwagi.routing.RoutingTableBuilder");
        var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/v"))).isEqualTo(answer("hello again", "hello again"));
      assertThat(log.messages()).noneMatch(m -> m.contains("loaded from the module cache"));
    }

    // The same size, another modified time (as an edit within the same size makes).
    var modified = Files.getLastModifiedTime(greeting).toInstant();
    Files.writeString(greeting, "howdy again\n");
    Files.setLastModifiedTime(
        greeting, java.nio.file.attribute.FileTime.from(modified.plusSeconds(10)));
    try (var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/v"))).isEqualTo(answer("howdy again", "howdy again"));
    }
    assertThat(snapshots(cache)).as("one entry per state of the volume").hasSize(3);
  }

  /** A reload (SIGHUP, --watch) builds the table as a start does: a changed file, a new init. */
  @Test
  void aReloadAfterAVolumeFileChangedRunsTheInitAgain() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("volume"));
    Path greeting = volume.resolve("greeting.txt");
    Files.writeString(greeting, "hello\n");
    try (var server =
        TestServer.start(
            dir, volumeToml(volume), "--module-cache", dir.resolve("cache").toString())) {
      assertThat(TestServer.text(server.get("/v"))).isEqualTo(answer("hello", "hello"));
      Files.writeString(volume.resolve("other.txt"), "a file the init did not read\n");
      Files.writeString(greeting, "bonjour\n");
      assertThat(server.jwagi().reloader().reload("test").ok()).isTrue();
      assertThat(TestServer.text(server.get("/v"))).isEqualTo(answer("bonjour", "bonjour"));
    }
  }
}
