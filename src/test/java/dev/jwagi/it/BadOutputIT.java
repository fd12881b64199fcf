package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 4: a broken module gets a clear status and the operator a log line naming the route and the
 * reason. Malformed output goes through raw.wasm, which prints exactly the request body it gets.
 */
@Timeout(60)
class BadOutputIT {
  @TempDir static Path dir;
  static TestServer server;
  static LogCapture handlerLog;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            dir,
            TestServer.module("/raw", TestServer.wasm("raw"), "")
                + TestServer.module("/exit", TestServer.wasm("exit"), "")
                + TestServer.module("/trap", TestServer.wasm("trap"), "")
                + TestServer.module("/hello", TestServer.example("hello")));
    handlerLog = LogCapture.of("dev.jwagi.routing.ModuleHandler");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(handlerLog, server);
  }

  /** The warnings logged while {@code action} ran. */
  private static List<String> warningsDuring(ThrowingRunnable action) throws Exception {
    int before = handlerLog.warnings().size();
    action.run();
    List<String> all = handlerLog.warnings();
    return all.subList(before, all.size());
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static HttpResponse<byte[]> moduleOutput(String output) throws Exception {
    return server.post("/raw", output.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void wellFormedOutputIsServed() throws Exception {
    var response = moduleOutput("Content-Type: text/plain\nX-Extra: yes\n\nbody\n");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-extra")).hasValue("yes");
    assertThat(TestServer.text(response)).isEqualTo("body\n");
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(
            "no blank line between headers and body",
            "Content-Type: text/plain\nbody without a blank line",
            "no blank line between headers and body"),
        Arguments.of(
            "a header line without a colon",
            "Content-Type: text/plain\nNoColonHere\n\nbody",
            "header line 2 has no colon: \"NoColonHere\""),
        Arguments.of(
            "an invalid header name",
            "Content-Type: text/plain\nBad Name: x\n\nbody",
            "header line 2 has an invalid name: \"Bad Name: x\""),
        Arguments.of(
            "a control character in a value",
            "Content-Type: text/plain\nX-Ctl: a\u0001b\n\nbody",
            "header line 2 has a control character in its value: \"X-Ctl: a\\x01b\""),
        Arguments.of(
            "a DEL in a value",
            "Content-Type: text/plain\nX-Del: a\u007fb\n\nbody",
            "header line 2 has a control character in its value"),
        Arguments.of(
            "Status: abc",
            "Status: abc\nContent-Type: text/plain\n\nbody",
            "header line 1 has an invalid status code"),
        Arguments.of(
            "Status: 2000",
            "Content-Type: text/plain\nStatus: 2000\n\nbody",
            "header line 2 has an invalid status code"),
        Arguments.of(
            "Status: 20",
            "Content-Type: text/plain\nStatus: 20 OK\n\nbody",
            "header line 2 has an invalid status code"),
        Arguments.of("no output at all", "", "module produced no output"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedOutputIs502WithItsReasonInTheLog(String what, String output, String reason)
      throws Exception {
    List<String> logged =
        warningsDuring(
            () -> {
              var response = moduleOutput(output);
              assertThat(response.statusCode()).as(what).isEqualTo(502);
              assertThat(TestServer.text(response)).doesNotContain("body");
            });
    assertThat(logged)
        .as(what)
        .anySatisfy(
            w -> assertThat(w).startsWith("route /raw: bad module output: ").contains(reason));
  }

  /** Compatibility with WAGI: well-formed headers, but none that makes a response: 500, not 502. */
  @Test
  void wellFormedHeadersWithoutContentTypeLocationOrStatusAre500() throws Exception {
    List<String> logged =
        warningsDuring(
            () -> assertThat(moduleOutput("X-Only: this\n\nbody").statusCode()).isEqualTo(500));
    assertThat(logged)
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith("route /raw: bad module output: ")
                    .contains("none of the headers Content-Type, Location, Status"));
  }

  @Test
  void nonZeroExitIs500AndTheLogNamesRouteCodeAndStderrFile() throws Exception {
    List<String> logged =
        warningsDuring(
            () -> {
              var response = server.get("/exit?7");
              assertThat(response.statusCode()).isEqualTo(500);
              assertThat(TestServer.text(response)).doesNotContain("exiting");
            });
    assertThat(logged)
        .contains(
            "route /exit: module exited with code 7 (stderr: "
                + server.logDir().resolve("exit.stderr.log")
                + ")");
  }

  @Test
  void trapIs500AndTheLogNamesRouteTrapMessageAndStderrFile() throws Exception {
    List<String> logged =
        warningsDuring(() -> assertThat(server.get("/trap").statusCode()).isEqualTo(500));
    assertThat(logged)
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith("route /trap: module trapped: ")
                    .containsIgnoringCase("unreachable")
                    .endsWith("(stderr: " + server.logDir().resolve("trap.stderr.log") + ")"));
  }

  @Test
  void theServerKeepsServingAfterBadModules() throws Exception {
    moduleOutput("garbage");
    server.get("/trap");
    server.get("/exit?1");
    assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
  }
}
