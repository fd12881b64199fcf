package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The global env (as in WAGI; see the README): {@code -e} and {@code --env-file}, {@code -e} wins,
 * the request's CGI variables win over both, the host's own environment never reaches a module; and
 * {@code --hostname} (which wins over {@code default_host}) for requests without a Host header.
 */
@Timeout(60)
class GlobalEnvIT {
  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    Path envFile = dir.resolve("global.env");
    Files.writeString(
        envFile,
        "# a comment line\n"
            + "FROM_FILE=file value\n"
            + "SHARED=from file\n"
            + "QUOTED = \"quoted value\"\n"
            + "SINGLE = 'single quoted'\n"
            + "\n"
            + "   # an indented comment\n"
            + "SPACED   =   spaced\n"
            + "EMPTY=\n"
            + "FILE_ONLY_CGI=x\n"
            + "SERVER_SOFTWARE=from-file\n");
    server =
        TestServer.start(
            dir,
            "default_host = \"tomlhost:9000\"\n\n[[module]]\nroute = \"/env/...\"\nmodule = "
                + TestServer.example("env")
                + "\n"
                + TestServer.module(
                    "/menv/...",
                    TestServer.example("env"),
                    "environment = { SHARED = \"from module\", MODULE_ONLY = \"m v\","
                        + " PATH_INFO = \"/module\" }"),
            "-e",
            "FROM_FLAG=flag value",
            "-e",
            "SHARED=from flag",
            "-e",
            "WITH_EQUALS=a=b=c",
            "-e",
            "REQUEST_METHOD=x",
            "-e",
            "PATH_INFO=/injected",
            "-e",
            "DQ=\"two words\"",
            "-e",
            "SQ='single words'",
            "-e",
            "HALF=\"unmatched'",
            "-e",
            "INNER=a \"b\" c",
            "--env-file",
            envFile.toString(),
            "--hostname",
            "myhost.example:8080");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
  }

  private static Map<String, String> env(String path) throws Exception {
    var response = server.get(path);
    assertThat(response.statusCode()).isEqualTo(200);
    return TestServer.env(response).env();
  }

  @Test
  void flagsAndEnvFileReachTheModule() throws Exception {
    assertThat(env("/env/x"))
        .containsEntry("FROM_FLAG", "flag value")
        .containsEntry("WITH_EQUALS", "a=b=c")
        .containsEntry("FROM_FILE", "file value")
        .containsEntry("QUOTED", "quoted value")
        .containsEntry("SINGLE", "single quoted")
        .containsEntry("SPACED", "spaced")
        .containsEntry("EMPTY", "")
        .containsEntry("FILE_ONLY_CGI", "x");
  }

  @Test
  void envFlagValuesLoseOnePairOfMatchingQuotesAsInWagi() throws Exception {
    assertThat(env("/env/x"))
        .containsEntry("DQ", "two words")
        .containsEntry("SQ", "single words")
        .containsEntry("HALF", "\"unmatched'")
        .containsEntry("INNER", "a \"b\" c");
  }

  @Test
  void moduleEnvironmentWinsOverTheGlobalEnvNotOverCgiVariables() throws Exception {
    assertThat(env("/menv/real"))
        .containsEntry("SHARED", "from module")
        .containsEntry("MODULE_ONLY", "m v")
        .containsEntry("FROM_FLAG", "flag value")
        .containsEntry("PATH_INFO", "/real");
    assertThat(env("/env/x")).doesNotContainKey("MODULE_ONLY").containsEntry("SHARED", "from flag");
  }

  @Test
  void commentsAreNotVariables() throws Exception {
    assertThat(env("/env/x").keySet()).noneMatch(k -> k.contains("#") || k.contains("comment"));
  }

  @Test
  void flagWinsOverEnvFile() throws Exception {
    assertThat(env("/env/x")).containsEntry("SHARED", "from flag");
  }

  @Test
  void cgiVariablesWinOverTheGlobalEnv() throws Exception {
    assertThat(env("/env/real/path"))
        .containsEntry("REQUEST_METHOD", "GET")
        .containsEntry("PATH_INFO", "/real/path")
        .containsEntry("SERVER_SOFTWARE", "WAGI/1");
  }

  @Test
  void hostEnvironmentIsNotPassed() throws Exception {
    Map<String, String> host = System.getenv();
    assumeThat(host).containsKeys("PATH", "HOME");
    Map<String, String> env = env("/env/x");
    assertThat(env).doesNotContainKeys("PATH", "HOME");
    Set<String> ours =
        Set.of(
            "FROM_FLAG",
            "SHARED",
            "WITH_EQUALS",
            "REQUEST_METHOD",
            "PATH_INFO",
            "FROM_FILE",
            "QUOTED",
            "SINGLE",
            "SPACED",
            "EMPTY",
            "FILE_ONLY_CGI",
            "SERVER_SOFTWARE",
            "DQ",
            "SQ",
            "HALF",
            "INNER");
    for (String name : host.keySet()) {
      if (!ours.contains(name)) {
        assertThat(env).as("host variable %s", name).doesNotContainKey(name);
      }
    }
  }

  @Test
  void hostnameFlagIsUsedWithoutAHostHeaderAndWinsOverDefaultHost() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /env/nohost?a=b HTTP/1.0\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(EnvDump.parse(response.body()).env())
          .containsEntry("SERVER_NAME", "myhost.example")
          .containsEntry("SERVER_PORT", "8080")
          .containsEntry("X_FULL_URL", "http://myhost.example:8080/env/nohost?a=b");
    }
  }

  @Test
  void aHostHeaderStillWinsOverHostname() throws Exception {
    assertThat(env("/env/x"))
        .containsEntry("SERVER_NAME", "127.0.0.1")
        .containsEntry("SERVER_PORT", Integer.toString(server.port()));
  }
}
