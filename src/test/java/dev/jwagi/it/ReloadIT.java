package dev.jwagi.it;

import static dev.jwagi.it.TestServer.example;
import static dev.jwagi.it.TestServer.module;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.reload.Reloader;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import java.lang.ref.WeakReference;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading under load: keep-alive clients loop on a route while the configuration changes; no
 * request fails, each response comes from the configuration current when it started, a broken
 * configuration leaves the previous one serving, and replaced tables are released.
 */
@Timeout(300)
class ReloadIT {
  @TempDir Path dir;

  /** Configuration {@code version}: /loop echoes it (env.wasm prints its environment). */
  private static String config(int version, String... more) {
    return module("/loop", example("env"), "environment = { CONFIG_VERSION = \"" + version + "\" }")
        + module("/swap", "\"swap.wasm\"")
        + String.join("", more);
  }

  private static int version(HttpResponse<byte[]> response) {
    return Integer.parseInt(TestServer.env(response).env().get("CONFIG_VERSION"));
  }

  @Test
  void reloadsTenTimesUnderLoadWithoutAFailedRequest() throws Exception {
    Path swap = dir.resolve("swap.wasm");
    Files.copy(Path.of("examples", "modules", "hello.wasm"), swap);
    // The configurations, in order; index 4 (version 5) is broken: an entrypoint /loop lacks.
    List<String> configs =
        List.of(
            config(2, module("/added", example("hello"))), // a route added
            config(3), // and removed
            config(4), // swap.wasm replaced (below)
            module(
                    "/loop",
                    example("env"),
                    "environment = { CONFIG_VERSION = \"5\" }",
                    "entrypoint = \"nope\"")
                + module("/swap", "\"swap.wasm\""),
            "default_host = \"elsewhere.example:8080\"\n" + config(6),
            config(7, module("/app/...", example("routes"))), // _routes run again
            config(8).replace("}", "}\nmax_concurrency = 50"),
            config(9), // /app/... removed
            config(10),
            config(11));
    try (TestServer server = TestServer.start(dir, config(1));
        LogCapture log = LogCapture.of("dev.jwagi.reload.Reloader")) {
      // The configuration a request may have met: at least `served` when it was sent, at most
      // `pending` when its answer came (a swap happens while a reload runs, between the two).
      AtomicInteger served = new AtomicInteger(1);
      AtomicInteger pending = new AtomicInteger(1);
      AtomicBoolean stop = new AtomicBoolean();
      Semaphore responses = new Semaphore(0);
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      Set<Integer> seen = ConcurrentHashMap.newKeySet();
      List<Thread> clients = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        clients.add(
            client(
                server,
                "/loop",
                response -> {
                  int version = version(response);
                  seen.add(version);
                  return version;
                },
                served,
                pending,
                stop,
                responses,
                failures));
      }
      clients.add( // and a readiness probe: 200 throughout
          client(server, "/readyz", response -> -1, served, pending, stop, responses, failures));
      clients.forEach(Thread::start);
      List<WeakReference<Object>> replaced = new ArrayList<>();
      awaitResponses(responses, failures);
      for (int i = 0; i < configs.size(); i++) {
        int version = i + 2;
        boolean broken = version == 5;
        if (version == 4) {
          Files.copy(
              Path.of("src", "test", "resources", "wasm", "nap.wasm"),
              swap,
              StandardCopyOption.REPLACE_EXISTING);
        }
        RoutingTable before = server.jwagi().routes();
        Files.writeString(dir.resolve("modules.toml"), configs.get(i));
        if (!broken) {
          pending.set(version);
        }
        Reloader.Outcome outcome = server.jwagi().reloader().reload("test " + version);
        if (broken) {
          assertThat(outcome.ok()).isFalse();
          assertThat(outcome.error())
              .contains(dir.resolve("modules.toml").toString())
              .contains("route \"/loop\"")
              .contains("key `entrypoint`")
              .contains("\"nope\"");
          assertThat(server.jwagi().routes()).isSameAs(before);
        } else {
          assertThat(outcome.ok()).as(outcome.error()).isTrue();
          served.set(version);
          replaced.add(new WeakReference<>(before));
          for (Route route : before.routes()) {
            if (route.handler().runsGuest()) { // (/metrics is the server's, not the table's)
              replaced.add(new WeakReference<>(route.handler()));
            }
          }
        }
        before = null;
        awaitResponses(responses, failures);
        switch (version) {
          case 2 -> assertThat(TestServer.text(server.get("/added"))).isEqualTo("hello world\n");
          case 3 -> assertThat(server.get("/added").statusCode()).isEqualTo(404);
          case 4 -> assertThat(TestServer.text(server.get("/swap"))).isEqualTo("napped\n");
          case 5 -> assertThat(TestServer.text(server.get("/swap"))).isEqualTo("napped\n");
          case 6 -> {
            try (var raw = server.raw()) { // no Host header: default_host is the server's name
              var response = raw.send("GET /loop HTTP/1.0\r\n\r\n").read();
              assertThat(EnvDump.parse(response.body()).env())
                  .containsEntry("SERVER_NAME", "elsewhere.example");
            }
          }
          case 7 ->
              assertThat(TestServer.text(server.get("/app/hello")))
                  .isEqualTo("hello from entrypoint\n");
          case 9 -> assertThat(server.get("/app/hello").statusCode()).isEqualTo(404);
          default -> {}
        }
      }
      stop.set(true);
      for (Thread client : clients) {
        client.join(TimeUnit.SECONDS.toMillis(60));
      }
      assertThat(failures).isEmpty();
      // Every configuration that served was seen by the clients; the broken one never.
      assertThat(seen).containsAll(List.of(1, 2, 3, 4, 6, 7, 8, 9, 10, 11)).doesNotContain(5);
      assertThat(log.warnings())
          .anySatisfy(
              w ->
                  assertThat(w)
                      .startsWith("reload failed, the previous configuration goes on serving: ")
                      .contains("key `entrypoint`"));

      PrometheusText metrics = PrometheusText.parse(TestServer.text(server.get("/metrics")));
      assertThat(metrics.value("jwagi_config_reloads_total", Map.of("result", "ok"))).isEqualTo(9);
      assertThat(metrics.value("jwagi_config_reloads_total", Map.of("result", "failed")))
          .isEqualTo(1);
      assertThat(metrics.value("jwagi_config_last_success_timestamp_seconds", Map.of()))
          .isGreaterThan(System.currentTimeMillis() / 1000.0 - 300);
      // Series of routes the configuration no longer has are gone; the others go on counting.
      assertThat(metrics.samples).noneMatch(s -> "/added".equals(s.labels().get("route")));
      assertThat(metrics.value("jwagi_requests_total", Map.of("route", "/loop", "status", "200")))
          .isGreaterThan(20 * 10);

      // Replaced tables, and their handlers, are garbage once their requests are done.
      awaitCollected(replaced);
    }
  }

  @Test
  void aRequestInFlightFinishesOnItsTableAndCountsAgainstItsRouteInTheNext() throws Exception {
    String slow = module("/slow", TestServer.wasm("nap"), "max_concurrency = 1");
    try (TestServer server = TestServer.start(dir, slow)) {
      var inFlight =
          server.sendAsync(HttpRequest.newBuilder(server.uri("/slow?2000")).timeout(ofSeconds(60)));
      TestServer.await(
          "the slow guest running",
          () ->
              PrometheusText.parse(TestServer.text(server.get("/metrics")))
                      .value("jwagi_guests_running", Map.of())
                  == 1);
      // The same route in the next table: the guest still running on the old one counts.
      Files.writeString(dir.resolve("modules.toml"), slow + module("/hello", example("hello")));
      assertThat(server.jwagi().reloader().reload("test").ok()).isTrue();
      var refused = server.get("/slow?1");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
      // The route removed: new requests get 404, the one in flight finishes on its own table.
      Files.writeString(dir.resolve("modules.toml"), module("/hello", example("hello")));
      assertThat(server.jwagi().reloader().reload("test").ok()).isTrue();
      assertThat(server.get("/slow?1").statusCode()).isEqualTo(404);
      var finished = inFlight.get(60, TimeUnit.SECONDS);
      assertThat(finished.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(finished)).isEqualTo("napped\n");
    }
  }

  @Test
  void aReloadCompilesOnlyTheModulesWhoseBytesChanged() throws Exception {
    Path swap = dir.resolve("swap.wasm");
    Files.copy(Path.of("examples", "modules", "hello.wasm"), swap);
    try (TestServer server = TestServer.start(dir, config(1));
        LogCapture log = LogCapture.of("dev.jwagi.TableFactory")) {
      System.gc(); // what the serving table uses is kept, whatever the collector does
      assertThat(server.jwagi().reloader().reload("unchanged").ok()).isTrue();
      assertThat(log.messages())
          .containsExactlyInAnyOrder(
              "module "
                  + Path.of("examples", "modules", "env.wasm").toAbsolutePath()
                  + ": unchanged, reused",
              "module " + swap + ": unchanged, reused");
      Files.copy(
          Path.of("src", "test", "resources", "wasm", "nap.wasm"),
          swap,
          StandardCopyOption.REPLACE_EXISTING);
      assertThat(server.jwagi().reloader().reload("swap.wasm replaced").ok()).isTrue();
      assertThat(log.messages().subList(2, log.messages().size()))
          .hasSize(2)
          .contains(
              "module "
                  + Path.of("examples", "modules", "env.wasm").toAbsolutePath()
                  + ": unchanged, reused")
          .anySatisfy(
              m ->
                  assertThat(m)
                      .startsWith("module " + swap + ": ")
                      .containsPattern(": (compiled|loaded from cache) in \\d+ ms"));
      assertThat(TestServer.text(server.get("/swap"))).isEqualTo("napped\n");
    }
  }

  /**
   * A keep-alive client (its own HttpClient: one connection, reused) looping GET {@code path} until
   * {@code stop}; each response must be 200 and from a configuration between {@code served} when it
   * was sent and {@code pending} when it came ({@code version} says which; -1: any).
   */
  private static Thread client(
      TestServer server,
      String path,
      java.util.function.ToIntFunction<HttpResponse<byte[]>> version,
      AtomicInteger served,
      AtomicInteger pending,
      AtomicBoolean stop,
      Semaphore responses,
      Queue<String> failures) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    Thread thread =
        new Thread(
            () -> {
              while (!stop.get()) {
                int low = served.get();
                try {
                  HttpResponse<byte[]> response =
                      client.send(
                          HttpRequest.newBuilder(server.uri(path)).build(),
                          HttpResponse.BodyHandlers.ofByteArray());
                  int high = pending.get();
                  if (response.statusCode() != 200) {
                    failures.add(
                        path + ": " + response.statusCode() + " " + TestServer.text(response));
                  } else {
                    int v = version.applyAsInt(response);
                    if (v != -1 && (v < low || v > high)) {
                      failures.add(
                          path
                              + ": configuration "
                              + v
                              + ", sent at "
                              + low
                              + ", answered at "
                              + high);
                    }
                  }
                } catch (Exception e) {
                  failures.add(path + ": " + e);
                }
                responses.release();
              }
            },
            "client " + path);
    thread.setDaemon(true);
    return thread;
  }

  /** Lets every client finish a few requests on the configuration now serving. */
  private static void awaitResponses(Semaphore responses, Queue<String> failures)
      throws InterruptedException {
    responses.drainPermits();
    assertThat(responses.tryAcquire(21 * 3, 60, TimeUnit.SECONDS)).as("responses").isTrue();
    assertThat(failures).isEmpty();
  }

  /** Waits for the garbage collector to clear every reference. */
  static void awaitCollected(List<WeakReference<Object>> references) throws Exception {
    TestServer.await(
        "replaced tables collected",
        () -> {
          System.gc();
          return references.stream().allMatch(r -> r.get() == null);
        });
  }
}
