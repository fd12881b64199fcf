package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which route answers (as in WAGI; see the README): exact and wildcard matching, most specific
 * wins, file order only for true ties, the built-in /healthz, {@code _routes} and {@code
 * entrypoint}.
 */
@Timeout(60)
class RoutingIT {
  @TempDir static Path dir;
  static TestServer server;
  static LogCapture startupLog;

  @BeforeAll
  static void start() throws Exception {
    String env = TestServer.example("env");
    String hello = TestServer.example("hello");
    String toml =
        TestServer.module("/foo/...", env)
            // A wildcard listed before a more specific exact route.
            + TestServer.module("/p/...", env)
            + TestServer.module("/p/exact", env)
            // A shorter wildcard listed before a longer one.
            + TestServer.module("/w/...", env)
            + TestServer.module("/w/long/...", env)
            // The same route twice: the first in file order wins.
            + TestServer.module("/dup", hello)
            + TestServer.module("/dup", env)
            + TestServer.module("/dupw/...", hello)
            + TestServer.module("/dupw/...", env)
            // The built-in /healthz beats a module routed there.
            + TestServer.module("/healthz", env)
            + TestServer.module("/exactonly", hello)
            + TestServer.module("/app/...", TestServer.example("routes"))
            // A _routes module at the root: "/" + "/hello" is "/hello", not "//hello" (WAGI).
            + TestServer.module("/", TestServer.example("routes"))
            + TestServer.module("/alt", TestServer.wasm("entry"))
            + "entrypoint = \"alt\"\n"
            + TestServer.module("/main", TestServer.wasm("entry"));
    startupLog = LogCapture.of("dev.jwagi.routing.RoutingTable");
    try {
      server = TestServer.start(dir, toml);
    } finally {
      startupLog.close();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
  }

  /** The route that answered GET path (env.wasm's X_MATCHED_ROUTE). */
  private static String matched(String path) throws Exception {
    var response = server.get(path);
    assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
    return TestServer.env(response).env().get("X_MATCHED_ROUTE");
  }

  @Test
  void wildcardMatchesItsBaseAndEverythingUnderIt() throws Exception {
    var base = TestServer.env(server.get("/foo"));
    assertThat(base.env())
        .containsEntry("X_MATCHED_ROUTE", "/foo/...")
        .containsEntry("SCRIPT_NAME", "/foo")
        .containsEntry("PATH_INFO", "");
    var under = TestServer.env(server.get("/foo/x"));
    assertThat(under.env())
        .containsEntry("X_MATCHED_ROUTE", "/foo/...")
        .containsEntry("PATH_INFO", "/x");
    var deep = TestServer.env(server.get("/foo/x/y/z?q=1"));
    assertThat(deep.env())
        .containsEntry("PATH_INFO", "/x/y/z")
        .containsEntry("QUERY_STRING", "q=1");
  }

  @Test
  void wildcardDoesNotMatchALongerName() throws Exception {
    var response = server.get("/foobar");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(server.get("/foobar/x").statusCode()).isEqualTo(404);
    assertThat(server.get("/fo").statusCode()).isEqualTo(404);
  }

  @Test
  void unknownPathIs404() throws Exception {
    assertThat(server.get("/nope").statusCode()).isEqualTo(404);
    assertThat(server.get("/nothing/here").statusCode()).isEqualTo(404);
  }

  @Test
  void exactRouteMatchesOnlyItself() throws Exception {
    var response = server.get("/exactonly?with=query");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(response)).isEqualTo("hello world\n");
    assertThat(server.get("/exactonly/x").statusCode()).isEqualTo(404);
    assertThat(server.get("/exactonly/").statusCode()).isEqualTo(404);
    assertThat(server.get("/exactonlyx").statusCode()).isEqualTo(404);
  }

  @Test
  void exactRouteBeatsAWildcardListedBeforeIt() throws Exception {
    assertThat(matched("/p/exact")).isEqualTo("/p/exact");
    assertThat(matched("/p/exact/more")).isEqualTo("/p/...");
    assertThat(matched("/p/other")).isEqualTo("/p/...");
    assertThat(matched("/p")).isEqualTo("/p/...");
  }

  @Test
  void longerWildcardBeatsAShorterOneListedBeforeIt() throws Exception {
    assertThat(matched("/w/long/x")).isEqualTo("/w/long/...");
    assertThat(matched("/w/long")).isEqualTo("/w/long/...");
    assertThat(matched("/w/longer")).isEqualTo("/w/...");
    assertThat(matched("/w/x")).isEqualTo("/w/...");
    var env = TestServer.env(server.get("/w/long/a/b")).env();
    assertThat(env).containsEntry("SCRIPT_NAME", "/w/long").containsEntry("PATH_INFO", "/a/b");
  }

  @Test
  void sameRouteTwiceTheFirstInFileOrderWins() throws Exception {
    var exact = server.get("/dup");
    assertThat(exact.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(exact)).isEqualTo("hello world\n");
    var wildcard = server.get("/dupw/x");
    assertThat(wildcard.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(wildcard)).isEqualTo("hello world\n");
    assertThat(startupLog.warnings())
        .anyMatch(w -> w.contains("/dup "))
        .anyMatch(w -> w.contains("/dupw/..."));
  }

  @Test
  void healthzIsBuiltInAndBeatsAModuleRoutedThere() throws Exception {
    var response = server.get("/healthz");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(response)).isEqualTo("OK");
    assertThat(startupLog.warnings()).anyMatch(w -> w.contains("/healthz"));
  }

  @Test
  void routesExportAddsSubRoutesWithTheirEntrypoints() throws Exception {
    var hello = server.get("/app/hello");
    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(hello)).isEqualTo("hello from entrypoint\n");

    var goodbye = server.get("/app/goodbye/x");
    assertThat(goodbye.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(goodbye)).isEqualTo("goodbye from entrypoint, PATH_INFO=/x\n");
    assertThat(TestServer.text(server.get("/app/goodbye/a%20b/c")))
        .isEqualTo("goodbye from entrypoint, PATH_INFO=/a b/c\n");
    assertThat(TestServer.text(server.get("/app/goodbye")))
        .isEqualTo("goodbye from entrypoint, PATH_INFO=\n");

    for (String other : new String[] {"/app/other", "/app", "/app/hello/x", "/app/goodbyes"}) {
      var response = server.get(other);
      assertThat(response.statusCode()).as(other).isEqualTo(200);
      assertThat(TestServer.text(response)).as(other).isEqualTo("routes module default entry\n");
    }
  }

  @Test
  void routesOfAModuleAtTheRootJoinWithOneSlash() throws Exception {
    var hello = server.get("/hello");
    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(hello)).isEqualTo("hello from entrypoint\n");
    var goodbye = server.get("/goodbye/x");
    assertThat(goodbye.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(goodbye)).isEqualTo("goodbye from entrypoint, PATH_INFO=/x\n");
    assertThat(server.get("//hello").statusCode()).isEqualTo(404);
    assertThat(TestServer.text(server.get("/"))).isEqualTo("routes module default entry\n");
  }

  @Test
  void entrypointKeyCallsThatExport() throws Exception {
    var alt = server.get("/alt");
    assertThat(alt.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(alt)).isEqualTo("alt entry\n");
    var main = server.get("/main");
    assertThat(main.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(main)).isEqualTo("main entry\n");
  }

  @Test
  void everyMethodIsRouted() throws Exception {
    for (String method : new String[] {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
      var response =
          server.send(
              java.net.http.HttpRequest.newBuilder(server.uri("/foo/m"))
                  .method(method, java.net.http.HttpRequest.BodyPublishers.noBody()));
      assertThat(response.statusCode()).as(method).isEqualTo(200);
      assertThat(TestServer.env(response).env()).containsEntry("REQUEST_METHOD", method);
    }
  }
}
