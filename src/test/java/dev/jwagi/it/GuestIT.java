package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.config.Flags;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How guests run (as in WAGI; see the README): stderr to the route's log file, traps and exit
 * codes, a fresh instance per request.
 */
@Timeout(60)
class GuestIT {
  @TempDir static Path dir;
  static TestServer server;
  static LogCapture handlerLog;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            dir,
            TestServer.module("/stderr", TestServer.wasm("stderr"))
                + TestServer.module("/err/...", TestServer.wasm("stderr"))
                + TestServer.module("/trap", TestServer.wasm("trap"))
                + TestServer.module("/exit", TestServer.wasm("exit"))
                + TestServer.module("/counter", TestServer.wasm("counter"))
                + TestServer.module("/recurse", TestServer.wasm("recurse"))
                + TestServer.module("/hello", TestServer.example("hello")));
    handlerLog = LogCapture.of("dev.jwagi.routing.ModuleHandler");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(handlerLog, server);
  }

  @Test
  void exhaustingTheCallStackIsATrapAndEveryWorkerKeepsServing() throws Exception {
    // More stack overflows than there are worker threads, so each worker has had one.
    int runs = 2 * Flags.DEFAULT_WORKERS_PER_CORE * Runtime.getRuntime().availableProcessors();
    List<CompletableFuture<HttpResponse<byte[]>>> overflows = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      overflows.add(server.sendAsync(HttpRequest.newBuilder(server.uri("/recurse"))));
    }
    for (var overflow : overflows) {
      assertThat(overflow.get().statusCode()).isEqualTo(500);
    }
    assertThat(handlerLog.warnings())
        .anyMatch(w -> w.contains("/recurse") && w.contains("module trapped"));
    List<CompletableFuture<HttpResponse<byte[]>>> hellos = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      hellos.add(server.sendAsync(HttpRequest.newBuilder(server.uri("/hello"))));
    }
    for (var hello : hellos) {
      assertThat(TestServer.text(hello.get())).isEqualTo("hello world\n");
    }
  }

  @Test
  void stderrGoesToTheRoutesLogFile() throws Exception {
    var response = server.get("/stderr?marker-exact-1");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(response)).isEqualTo("ok\n");
    assertThat(server.get("/stderr?marker-exact-2").statusCode()).isEqualTo(200);
    Path log = server.logDir().resolve("stderr.stderr.log");
    assertThat(log).exists();
    assertThat(Files.readString(log))
        .contains("to stderr: marker-exact-1\n")
        .contains("to stderr: marker-exact-2\n");
  }

  @Test
  void wildcardRouteStderrFile() throws Exception {
    assertThat(server.get("/err/a/b?marker-wild").statusCode()).isEqualTo(200);
    Path log = server.logDir().resolve("err_wildcard.stderr.log");
    assertThat(log).exists();
    assertThat(Files.readString(log)).contains("to stderr: marker-wild\n");
    // stderr is not mixed into the response or into another route's file
    assertThat(
            Files.readString(server.logDir().resolve("stderr.stderr.log")).contains("marker-wild"))
        .isFalse();
  }

  @Test
  void stderrIsNotInTheResponse() throws Exception {
    var response = server.get("/stderr?not-in-body");
    assertThat(TestServer.text(response)).isEqualTo("ok\n");
  }

  @Test
  void trapIs500AndTheServerKeepsServing() throws Exception {
    var trapped = server.get("/trap");
    assertThat(trapped.statusCode()).isEqualTo(500);
    assertThat(handlerLog.warnings()).anyMatch(w -> w.contains("/trap"));
    var hello = server.get("/hello");
    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(hello)).isEqualTo("hello world\n");
    // and the trapping route itself still answers (with its 500) on later requests
    assertThat(server.get("/trap").statusCode()).isEqualTo(500);
  }

  @Test
  void nonZeroExitIs500() throws Exception {
    var response = server.get("/exit?3");
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(TestServer.text(response)).doesNotContain("exiting");
    assertThat(handlerLog.warnings()).anyMatch(w -> w.contains("/exit") && w.contains("code 3"));
    assertThat(server.get("/exit?1").statusCode()).isEqualTo(500);
    assertThat(server.get("/exit").statusCode()).isEqualTo(500); // default code 3
  }

  @Test
  void exitZeroIsSuccess() throws Exception {
    var response = server.get("/exit?0");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
    assertThat(TestServer.text(response)).isEqualTo("exiting\n");
  }

  @Test
  void freshInstanceForEverySequentialRequest() throws Exception {
    for (int i = 0; i < 20; i++) {
      var response = server.get("/counter");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(response)).as("request %d", i).isEqualTo("counter=1 buf=x\n");
    }
  }

  @Test
  void freshInstanceForEveryConcurrentRequest() throws Exception {
    var client = java.net.http.HttpClient.newHttpClient();
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      responses.add(
          client.sendAsync(
              HttpRequest.newBuilder(server.uri("/counter")).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (var future : responses) {
      var response = future.join();
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("counter=1 buf=x\n");
    }
  }

  /**
   * Copy-on-write memory (issue 9): a run that grew its memory and wrote all over it leaves nothing
   * behind. The next run starts at the initial size again and its new pages read as zero.
   */
  @Test
  void freshMemoryAfterAnEarlierRunGrewAndScribbledOverIt() throws Exception {
    String first = TestServer.text(server.get("/counter?grow"));
    assertThat(first).matches("counter=1 buf=x pages=\\d+ dirty=0\n");
    for (int i = 0; i < 5; i++) {
      assertThat(TestServer.text(server.get("/counter?grow"))).as("run %d", i).isEqualTo(first);
      // and a run that does not grow sees only its own state too
      assertThat(TestServer.text(server.get("/counter"))).isEqualTo("counter=1 buf=x\n");
    }
  }

  @Test
  void freshMemoryForEveryConcurrentRequestThatGrows() throws Exception {
    String expected = TestServer.text(server.get("/counter?grow"));
    assertThat(expected).matches("counter=1 buf=x pages=\\d+ dirty=0\n");
    List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      responses.add(
          server.sendAsync(
              HttpRequest.newBuilder(server.uri(i % 2 == 0 ? "/counter?grow" : "/counter"))));
    }
    for (int i = 0; i < responses.size(); i++) {
      var response = responses.get(i).get();
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(response))
          .as("request %d", i)
          .isEqualTo(i % 2 == 0 ? expected : "counter=1 buf=x\n");
    }
  }
}
