package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory budget (--max-buffered), here 1 MiB: a guest whose initial memory (2 MiB) cannot fit
 * gets 503 + Retry-After, not a trap; a small one still runs; start-up names the routes whose
 * max_concurrency x max_memory exceed the budget.
 */
@Timeout(60)
class BudgetIT {
  @TempDir static Path dir;
  static TestServer server;
  static LogCapture log;

  @BeforeAll
  static void start() throws Exception {
    log = LogCapture.of("dev.jwagi.config.ConfigLoader", "dev.jwagi.routing.ModuleHandler");
    server =
        TestServer.start(
            dir,
            TestServer.module(
                    "/big",
                    TestServer.tomlString(
                        Path.of("src", "test", "resources", "wasm", "bigmem.wat").toAbsolutePath()))
                + TestServer.module("/hello", TestServer.example("hello"), "max_memory = \"1MiB\""),
            "--max-buffered",
            "1MiB",
            "--max-concurrency",
            "2");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server, log);
  }

  @Test
  void aGuestWhoseMemoryCannotFitGets503WithRetryAfter() throws Exception {
    var response = server.get("/big");
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("retry-after")).contains("1");
    assertThat(log.warnings())
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith(
                        "route /big: no room for the guest's memory in the memory budget:"
                            + " answered 503"));
  }

  @Test
  void aSmallGuestStillRuns() throws Exception {
    var response = server.get("/hello");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(response)).isEqualTo("hello world\n");
  }

  @Test
  void startUpNamesTheRoutesThatCouldExceedTheBudget() {
    assertThat(log.warnings())
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith("routes [/big, /hello]: max_concurrency x max_memory exceeds"));
  }
}
