package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up (docs/architecture.md): a bad configuration fails before listening, with a message that
 * names the file, the route and the key; unknown keys only warn; where module paths resolve.
 */
@Timeout(60)
class StartupIT {
  @TempDir Path dir;

  private Path config() {
    return dir.resolve("modules.toml");
  }

  @Test
  void bindleFlagsAreRefusedWithTheReason() {
    assertThatThrownBy(
            () ->
                TestServer.start(
                    dir,
                    TestServer.module("/", TestServer.wasm("hello")),
                    "--bindle",
                    "example.com/hello/1.0.0"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--bindle")
        .hasMessageContaining("Bindle is not supported")
        .hasMessageContaining("oci:");
  }

  @Test
  void anAddressInUseIsNamed() throws Exception {
    try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      String listen = "127.0.0.1:" + taken.getLocalPort();
      assertThatThrownBy(
              () ->
                  TestServer.start(
                      dir, TestServer.module("/", TestServer.wasm("counter")), "-l", listen))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("cannot listen on " + listen)
          .hasMessageContaining("Address already in use");
    }
  }

  @Test
  void missingModuleKey() {
    String toml = "[[module]]\nroute = \"/nomod\"\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("/nomod")
        .hasMessageContaining("`module`");
  }

  @Test
  void invalidTomlNamesTheFileAndTheLine() {
    String toml = "[[module]]\nroute = \"/a\"\nmodule = \"unterminated\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("invalid TOML")
        .hasMessageContaining("line 3");
  }

  @Test
  void aNumberWhereTextBelongsNamesTheKey() {
    String toml = "[[module]]\nroute = 5\nmodule = " + TestServer.example("hello") + "\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("`route`");
  }

  @Test
  void missingRouteKey() {
    String toml = "[[module]]\nmodule = " + TestServer.example("hello") + "\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("`route`");
  }

  @Test
  void moduleFileNotFoundListsEveryPathTried() throws Exception {
    Path workingDir = Files.createDirectories(dir.resolve("work"));
    Path configFile = dir.resolve("conf").resolve("modules.toml");
    String toml = "[[module]]\nroute = \"/missing\"\nmodule = \"mods/nothere.wasm\"\n";
    assertThatThrownBy(() -> TestServer.startAt(workingDir, configFile, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(configFile.toString())
        .hasMessageContaining("/missing")
        .hasMessageContaining("`module`")
        .hasMessageContaining(workingDir.resolve("mods/nothere.wasm").toString())
        .hasMessageContaining(configFile.getParent().resolve("mods/nothere.wasm").toString());
  }

  @Test
  void absoluteModuleFileNotFound() {
    Path missing = dir.resolve("nowhere").resolve("gone.wasm");
    String toml =
        "[[module]]\nroute = \"/gone\"\nmodule = " + TestServer.tomlString(missing) + "\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("/gone")
        .hasMessageContaining("`module`")
        .hasMessageContaining(missing.toString());
  }

  @Test
  void relativeModuleResolvesAgainstTheWorkingDirectoryFirstThenTheConfigFolder() throws Exception {
    Path workingDir = Files.createDirectories(dir.resolve("work"));
    Path configDir = Files.createDirectories(dir.resolve("conf"));
    Files.createDirectories(workingDir.resolve("mods"));
    Files.createDirectories(configDir.resolve("mods"));
    // mods/both.wasm exists in both places: the working directory's (hello) wins.
    copyExample("hello", workingDir.resolve("mods/both.wasm"));
    copyExample("echo", configDir.resolve("mods/both.wasm"));
    // mods/conf-only.wasm exists only next to modules.toml.
    copyExample("hello", configDir.resolve("mods/conf-only.wasm"));
    String toml =
        "[[module]]\nroute = \"/both\"\nmodule = \"mods/both.wasm\"\n\n"
            + "[[module]]\nroute = \"/conf-only\"\nmodule = \"mods/conf-only.wasm\"\n";
    try (var server = TestServer.startAt(workingDir, configDir.resolve("modules.toml"), toml)) {
      var both = server.post("/both", "ignored".getBytes());
      assertThat(both.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(both)).isEqualTo("hello world\n");
      var confOnly = server.get("/conf-only");
      assertThat(confOnly.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(confOnly)).isEqualTo("hello world\n");
    }
  }

  @Test
  void fileUrlModule() throws Exception {
    Path hello = Path.of("examples", "modules", "hello.wasm").toAbsolutePath();
    String toml = "[[module]]\nroute = \"/url\"\nmodule = \"" + hello.toUri() + "\"\n";
    try (var server = TestServer.start(dir, toml)) {
      assertThat(TestServer.text(server.get("/url"))).isEqualTo("hello world\n");
    }
  }

  @Test
  void entrypointNotExported() {
    String toml =
        "[[module]]\nroute = \"/noentry\"\nmodule = "
            + TestServer.wasm("entry")
            + "\nentrypoint = \"no_such_export\"\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("/noentry")
        .hasMessageContaining("`entrypoint`")
        .hasMessageContaining("no_such_export");
  }

  @Test
  void volumeHostDirectoryMissing() {
    Path missing = dir.resolve("no-such-dir");
    String toml =
        "[[module]]\nroute = \"/vol\"\nmodule = "
            + TestServer.wasm("readfile")
            + "\nvolumes = { \"/data\" = "
            + TestServer.tomlString(missing)
            + " }\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("/vol")
        .hasMessageContaining("volumes")
        .hasMessageContaining("/data")
        .hasMessageContaining(missing.toString());
  }

  @Test
  void volumeHostPathIsAFile() throws Exception {
    Path file = Files.writeString(dir.resolve("plain.txt"), "not a directory");
    String toml =
        "[[module]]\nroute = \"/volfile\"\nmodule = "
            + TestServer.wasm("readfile")
            + "\nvolumes = { \"/data\" = "
            + TestServer.tomlString(file)
            + " }\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("/volfile")
        .hasMessageContaining("volumes");
  }

  @Test
  void invalidToml() {
    String toml = "[[module]]\nroute = \"/broken\"\nmodule = \n[[module\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("TOML");
  }

  @Test
  void routeNotStartingWithSlash() {
    String toml = "[[module]]\nroute = \"noslash\"\nmodule = " + TestServer.example("hello") + "\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("noslash")
        .hasMessageContaining("`route`");
  }

  @Test
  void aRoutesLineIsCheckedLikeARouteKey() {
    String toml =
        TestServer.module("/ok", TestServer.example("hello"))
            + TestServer.module("/bad/...", TestServer.wasm("badroutes"));
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("#2")
        .hasMessageContaining("badroutes.wasm")
        .hasMessageContaining("_routes")
        .hasMessageContaining("line 2 \"/bad/.../x ok_entry\"")
        .hasMessageContaining("only allowed as the last segment");
  }

  @Test
  void moduleEnvironmentMustBeATableOfStrings() {
    String notATable =
        TestServer.module("/e", TestServer.example("hello"), "environment = \"A=1\"");
    assertThatThrownBy(() -> TestServer.start(dir, notATable))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/e\")")
        .hasMessageContaining("key `environment` must be a table");
    String notAString =
        TestServer.module("/e", TestServer.example("hello"), "environment = { A = 1 }");
    assertThatThrownBy(() -> TestServer.start(dir, notAString))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key `environment.A` must be a string");
  }

  @Test
  void anUnsupportedSchemeIsNamed() {
    String toml = TestServer.module("/s", "\"bindle:example/app\"");
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/s\")")
        .hasMessageContaining("bindle: is not a supported module reference");
  }

  @Test
  void theFailingModuleIsNamedByPosition() {
    String toml =
        "[[module]]\nroute = \"/ok\"\nmodule = "
            + TestServer.example("hello")
            + "\n\n[[module]]\nroute = \"/second\"\nmodule = \"second-missing.wasm\"\n";
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("#2")
        .hasMessageContaining("/second")
        .hasMessageContaining("second-missing.wasm");
  }

  @Test
  void unknownKeysOnlyWarn() throws Exception {
    String toml =
        "mystery_top = 1\n\n[[module]]\nroute = \"/hello\"\nmodule = "
            + TestServer.example("hello")
            + "\ncolour = \"blue\"\n";
    try (var log = LogCapture.of("dev.jwagi.config.ConfigLoader");
        var server = TestServer.start(dir, toml)) {
      var response = server.get("/hello");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(response)).isEqualTo("hello world\n");
      assertThat(log.warnings())
          .anyMatch(w -> w.contains("mystery_top"))
          .anyMatch(w -> w.contains("colour") && w.contains("/hello"));
    }
  }

  @Test
  void defaultHostFromTheConfigFile() throws Exception {
    String toml =
        "default_host = \"tomlhost:9000\"\n\n[[module]]\nroute = \"/env\"\nmodule = "
            + TestServer.example("env")
            + "\n";
    try (var server = TestServer.start(dir, toml);
        var raw = server.raw()) {
      var response = raw.send("GET /env HTTP/1.0\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(EnvDump.parse(response.body()).env())
          .containsEntry("SERVER_NAME", "tomlhost")
          .containsEntry("SERVER_PORT", "9000")
          .containsEntry("X_FULL_URL", "http://tomlhost:9000/env");
    }
  }

  @Test
  void aConfigWithNoModulesStillServesHealthz() throws Exception {
    try (var server = TestServer.start(dir, "")) {
      assertThat(TestServer.text(server.get("/healthz"))).isEqualTo("OK");
      assertThat(server.get("/hello").statusCode()).isEqualTo(404);
    }
  }

  private static void copyExample(String name, Path to) throws Exception {
    Files.copy(
        Path.of("examples", "modules", name + ".wasm"), to, StandardCopyOption.REPLACE_EXISTING);
  }
}
