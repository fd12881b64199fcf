package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: guests in flight are bounded, server-wide (--max-concurrency, --queue) and per route
 * (max_concurrency); the overflow gets 503 + Retry-After at once. A client that goes away frees its
 * worker.
 */
@Timeout(60)
class BackpressureIT {
  @TempDir static Path dir;

  /** Two workers, two places in the queue. */
  static TestServer queued;

  /** Plenty of global room; one route allows one guest at a time. */
  static TestServer perRoute;

  /** Two workers, so one stuck worker would show; loops would run for 30 s. */
  static TestServer disconnect;

  static LogCapture handlerLog;

  @BeforeAll
  static void start() throws Exception {
    queued =
        TestServer.start(
            Files.createDirectories(dir.resolve("queued")),
            TestServer.module("/sleep", TestServer.wasm("sleep"), ""),
            "--max-concurrency",
            "2",
            "--queue",
            "2");
    perRoute =
        TestServer.start(
            Files.createDirectories(dir.resolve("per-route")),
            TestServer.module("/one", TestServer.wasm("sleep"), "max_concurrency = 1")
                + TestServer.module("/sleep", TestServer.wasm("sleep"), ""),
            "--max-concurrency",
            "8",
            "--queue",
            "100");
    disconnect =
        TestServer.start(
            Files.createDirectories(dir.resolve("disconnect")),
            TestServer.module("/loop", TestServer.wasm("loop"), "timeout = \"30s\"")
                + TestServer.module("/sleep", TestServer.wasm("sleep"), ""),
            "--max-concurrency",
            "2");
    handlerLog = LogCapture.of("dev.jwagi.routing.ModuleHandler");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(handlerLog, queued, perRoute, disconnect);
  }

  record Outcome(int status, String text, String retryAfter, long millis) {
    @Override
    public String toString() {
      return status
          + (retryAfter == null ? "" : " (Retry-After " + retryAfter + ")")
          + " in "
          + millis
          + " ms";
    }
  }

  /** {@code n} GETs of {@code target}, each on its own connection, all sent at the same moment. */
  private static List<Outcome> concurrently(TestServer server, int n, String target)
      throws Exception {
    return Together.run(
        n,
        new Together.Task<RawConnection, Outcome>() {
          @Override
          public RawConnection prepare(int index) throws Exception {
            return server.raw(); // connected before the barrier
          }

          @Override
          public Outcome go(RawConnection raw, int index) throws Exception {
            long start = System.nanoTime();
            var response = raw.send("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
            return new Outcome(
                response.status(),
                response.text(),
                response.header("retry-after").orElse(null),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
          }
        });
  }

  /**
   * 10 requests of 1.5 s at once with 2 workers and 2 places in the queue: 2 run, 2 wait their
   * turn, and exactly the other 6 get 503 + Retry-After.
   */
  @Test
  void overflowBeyondWorkersAndQueueIs503WithRetryAfter() throws Exception {
    List<Outcome> outcomes = concurrently(queued, 10, "/sleep?1500");
    System.out.println("BackpressureIT: 10 at once on 2+2: " + outcomes);
    List<Outcome> rejected = outcomes.stream().filter(o -> o.status() == 503).toList();
    List<Outcome> served = outcomes.stream().filter(o -> o.status() != 503).toList();
    assertThat(rejected).hasSize(6).allSatisfy(o -> assertThat(o.retryAfter()).isEqualTo("1"));
    assertThat(served)
        .hasSize(4)
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(200);
              assertThat(o.text()).isEqualTo("slept\n");
            });
    // and with the burst over, the server takes requests again
    assertThat(TestServer.text(queued.get("/sleep?1"))).isEqualTo("slept\n");
  }

  @Test
  void routeOverItsOwnMaxConcurrencyIs503WithRetryAfter() throws Exception {
    int warningsBefore = handlerLog.warnings().size();
    List<Outcome> outcomes = concurrently(perRoute, 3, "/one?1500");
    System.out.println("BackpressureIT: 3 at once on max_concurrency = 1: " + outcomes);
    assertThat(outcomes.stream().filter(o -> o.status() == 503))
        .hasSize(2)
        .allSatisfy(o -> assertThat(o.retryAfter()).isEqualTo("1"));
    assertThat(outcomes.stream().filter(o -> o.status() != 503))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.status()).isEqualTo(200);
              assertThat(o.text()).isEqualTo("slept\n");
            });
    List<String> logged =
        handlerLog.warnings().subList(warningsBefore, handlerLog.warnings().size());
    assertThat(logged)
        .filteredOn(w -> w.equals("route /one: at its max_concurrency; answered 503"))
        .hasSize(2);
    // the slot is released: the route answers again
    assertThat(TestServer.text(perRoute.get("/one?1"))).isEqualTo("slept\n");
  }

  /** The route limit is the route's own: another route on the server is not held back by it. */
  @Test
  void aBusyRouteDoesNotLimitOtherRoutes() throws Exception {
    var busy = perRoute.raw();
    try (busy) {
      busy.send("GET /one?1500 HTTP/1.1\r\nHost: h\r\n\r\n");
      ServerThreads.awaitWorkersInGuest(1, 10_000);
      List<Outcome> others = concurrently(perRoute, 3, "/sleep?10");
      assertThat(others).allSatisfy(o -> assertThat(o.status()).isEqualTo(200));
      assertThat(busy.read().status()).isEqualTo(200);
    }
  }

  /**
   * A client that disconnects while its guest runs (an infinite loop with a 30 s timeout) stops the
   * guest: right afterwards, both workers take requests side by side.
   */
  @Test
  void aClientThatDisconnectsFreesItsWorker() throws Exception {
    try (var raw = disconnect.raw()) {
      raw.send("GET /loop HTTP/1.1\r\nHost: h\r\n\r\n");
      ServerThreads.awaitWorkersInGuest(1, 10_000); // the loop is running now
    } // and the client goes away
    assertBothWorkersFree("after a disconnect");
  }

  /**
   * A client that disconnects while its request waits in the queue: the request never takes a
   * worker. Both workers are busy (1 s sleeps) when the loop request is queued and dropped; once
   * they are done, two requests again run side by side.
   */
  @Test
  void aClientThatDisconnectsWhileQueuedNeverTakesAWorker() throws Exception {
    CompletableFuture<List<Outcome>> busy =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return concurrently(disconnect, 2, "/sleep?1000");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    ServerThreads.awaitWorkersInGuest(2, 10_000);
    try (var raw = disconnect.raw()) {
      raw.send("GET /loop HTTP/1.1\r\nHost: h\r\n\r\n"); // queued: both workers are busy
    }
    assertThat(busy.get(20, TimeUnit.SECONDS))
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(200));
    assertBothWorkersFree("after a disconnect while queued");
  }

  /**
   * Two 1 s sleeps at once on the disconnect server both succeed, side by side (each under 1.9 s;
   * one waiting for the other would take 2 s), and quickly (a worker stuck in the loop would hold
   * one of them up to the loop's 30 s timeout). Then no worker is left in a guest.
   */
  private static void assertBothWorkersFree(String when) throws Exception {
    long start = System.nanoTime();
    List<Outcome> outcomes = concurrently(disconnect, 2, "/sleep?1000");
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.println("BackpressureIT: 2 sleeps " + when + ": " + outcomes);
    assertThat(outcomes)
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(200);
              assertThat(o.text()).isEqualTo("slept\n");
              assertThat(o.millis()).isLessThan(1_900L);
            });
    assertThat(elapsed).isLessThan(5_000L);
    assertThat(ServerThreads.workersInGuest()).isEmpty();
  }
}
