package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiled modules are cached on disk, so a restart skips compilation, and says so; an entry is JVM
 * code the server runs, so only entries this server wrote, in folders only its user may write, are
 * used.
 */
@Timeout(60)
class ModuleCacheIT {
  @TempDir Path dir;

  @Test
  void aRestartLoadsTheCompiledModuleFromTheCache() throws Exception {
    String toml = TestServer.module("/hello", TestServer.example("hello"));
    Path cache = dir.resolve("cache");
    for (String expected : new String[] {"compiled in", "loaded from cache in"}) {
      try (var log = LogCapture.of("dev.jwagi.TableFactory");
          var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
        assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
        assertThat(log.messages()).anyMatch(m -> m.contains("hello.wasm") && m.contains(expected));
      }
    }
  }

  private static List<Path> entries(Path cache) throws Exception {
    try (Stream<Path> files = Files.walk(cache)) {
      return files.filter(p -> p.toString().endsWith(".classes")).toList();
    }
  }

  /**
   * Module A's compiled classes saved under module B's key (anyone who can write the cache could
   * save any classes there): B's route must run B, never the planted code.
   */
  @Test
  void anEntryThisServerDidNotWriteIsNotRun() throws Exception {
    Path cache = dir.resolve("cache");
    String hello = TestServer.module("/x", TestServer.example("hello"));
    String env = TestServer.module("/x", TestServer.example("env"));
    try (var server = TestServer.start(dir, hello, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/x"))).isEqualTo("hello world\n");
    }
    Path helloEntry = entries(cache).get(0);
    try (var server = TestServer.start(dir, env, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/x"))).contains("REQUEST_METHOD");
    }
    Path envEntry = entries(cache).stream().filter(p -> !p.equals(helloEntry)).findFirst().get();
    Files.write(envEntry, Files.readAllBytes(helloEntry));
    try (var log = LogCapture.of("dev.jwagi.engine.DiskCache");
        var server = TestServer.start(dir, env, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/x"))).contains("REQUEST_METHOD");
      assertThat(log.messages()).anyMatch(m -> m.contains(envEntry + " not used"));
    }
    // Written again by this server: a hit next time.
    try (var log = LogCapture.of("dev.jwagi.TableFactory");
        var server = TestServer.start(dir, env, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/x"))).contains("REQUEST_METHOD");
      assertThat(log.messages()).anyMatch(m -> m.contains("loaded from cache in"));
    }
  }

  @Test
  void aCacheOthersMayWriteIsNotUsedAndNewFoldersAreTheUsersAlone() throws Exception {
    Path cache = dir.resolve("new/cache");
    String toml = TestServer.module("/hello", TestServer.example("hello"));
    try (var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("new"))))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(entries(cache).get(0))))
        .isEqualTo("rw-------");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(cache.resolve("cache.key"))))
        .isEqualTo("rw-------");

    Files.setPosixFilePermissions(
        entries(cache).get(0), PosixFilePermissions.fromString("rw-rw-rw-"));
    try (var log = LogCapture.of("dev.jwagi");
        var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      assertThat(log.messages())
          .anyMatch(m -> m.contains("not used") && m.contains("may be written by others"))
          .anyMatch(m -> m.contains("hello.wasm") && m.contains("compiled in"));
    }

    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (var log = LogCapture.of("dev.jwagi");
        var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      assertThat(log.messages())
          .anyMatch(m -> m.contains("module cache " + cache + " not used"))
          .anyMatch(m -> m.contains("hello.wasm") && m.contains("compiled in"));
    }
  }
}
