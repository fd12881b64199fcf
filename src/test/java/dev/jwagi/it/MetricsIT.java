package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7: /metrics speaks Prometheus text (checked line by line by a strict parser), and its
 * request counters equal the requests sent, by route and status; guest outcomes, backpressure,
 * bytes, latency histograms, module loads, pool gauges and JVM/process basics are there.
 */
@Timeout(60)
class MetricsIT {
  @TempDir static Path dir;

  static TestServer server;
  static LogCapture startupLog;

  @BeforeAll
  static void start() throws Exception {
    startupLog = LogCapture.of("dev.jwagi.routing.RoutingTable");
    server =
        TestServer.start(
            Files.createDirectories(dir.resolve("on")),
            TestServer.module("/hello", TestServer.example("hello"))
                + TestServer.module("/env/...", TestServer.example("env"))
                + TestServer.module("/echo", TestServer.example("echo"))
                + TestServer.module("/exit", TestServer.wasm("exit"))
                + TestServer.module("/trap", TestServer.wasm("trap"))
                + TestServer.module("/loop", TestServer.wasm("loop"), "timeout = \"200ms\"")
                + TestServer.module("/one", TestServer.wasm("sleep"), "max_concurrency = 1")
                // The built-in /metrics wins over a module routed there.
                + TestServer.module("/metrics", TestServer.example("hello")));
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(startupLog, server);
  }

  /** What the test saw, by route label and status: the counters must say the same. */
  private final Map<String, Map<String, Integer>> sent = new TreeMap<>();

  private void send(String route, String target, int expectedStatus) throws Exception {
    saw(route, server.get(target).statusCode(), expectedStatus);
  }

  private void saw(String route, int status, int expectedStatus) {
    assertThat(status).as("%s", route).isEqualTo(expectedStatus);
    sent.computeIfAbsent(route, r -> new TreeMap<>())
        .merge(Integer.toString(status), 1, Integer::sum);
  }

  @Test
  void countersEqualTheRequestsSentByRouteAndStatus() throws Exception {
    for (int i = 0; i < 3; i++) {
      send("/hello", "/hello?" + i, 200);
    }
    send("/env/...", "/env", 200);
    send("/env/...", "/env/a/b?c=d", 200);
    send("none", "/nope", 404);
    send("none", "/hello/not-exact", 404);
    send("/exit", "/exit", 500);
    send("/trap", "/trap", 500);
    send("/loop", "/loop", 504);
    byte[] body = new byte[1000];
    saw("/echo", server.post("/echo", body).statusCode(), 200);
    // A 503 from the route's own bound: one guest holds its only slot while another asks.
    try (RawConnection slow = server.raw()) {
      slow.send("GET /one?3000 HTTP/1.1\r\nHost: h\r\n\r\n");
      ServerThreads.awaitWorkersInGuest(1, 10_000);
      send("/one", "/one?1", 503);
      saw("/one", slow.read().status(), 200);
    }

    PrometheusText metrics = scrapeUntilCounted();
    assertThat(requestCounters(metrics)).isEqualTo(sent);

    Map<String, String> hello = Map.of("route", "/hello");
    assertThat(metrics.types).containsEntry("jwagi_requests_total", "counter");
    assertThat(metrics.types).containsEntry("jwagi_request_duration_seconds", "histogram");
    assertThat(metrics.value("jwagi_request_duration_seconds_count", hello)).isEqualTo(3);
    assertThat(metrics.types).containsEntry("jwagi_guest_duration_seconds", "histogram");
    assertThat(metrics.value("jwagi_guest_duration_seconds_count", hello)).isEqualTo(3);
    assertThat(metrics.value("jwagi_guest_prepare_seconds_count", hello)).isEqualTo(3);
    assertThat(metrics.value("jwagi_guest_runs_total", Map.of("route", "/hello", "outcome", "ok")))
        .isEqualTo(3);
    assertThat(
            metrics.value(
                "jwagi_guest_runs_total", Map.of("route", "/exit", "outcome", "exit_error")))
        .isEqualTo(1);
    assertThat(metrics.value("jwagi_guest_runs_total", Map.of("route", "/trap", "outcome", "trap")))
        .isEqualTo(1);
    assertThat(
            metrics.value("jwagi_guest_runs_total", Map.of("route", "/loop", "outcome", "timeout")))
        .isEqualTo(1);
    assertThat(metrics.value("jwagi_backpressure_total", Map.of("route", "/one"))).isEqualTo(1);
    assertThat(metrics.value("jwagi_request_body_bytes_total", Map.of("route", "/echo")))
        .isEqualTo(1000);
    assertThat(metrics.value("jwagi_response_body_bytes_total", Map.of("route", "/echo")))
        .isEqualTo(1000);
    // 7 module files, each compiled or loaded from the cache once
    double loads =
        metrics.named("jwagi_module_load_seconds_count").stream()
            .mapToDouble(PrometheusText.Sample::value)
            .sum();
    assertThat(loads).isEqualTo(7);
    assertThat(metrics.value("jwagi_guests_running", Map.of())).isEqualTo(0);
    assertThat(metrics.value("jwagi_requests_queued", Map.of())).isEqualTo(0);
    assertThat(metrics.types)
        .containsKeys(
            "jvm_memory_used_bytes",
            "jvm_threads_live_threads",
            "jvm_classes_loaded_classes",
            "process_cpu_usage",
            "process_uptime_seconds",
            "process_files_open_files");
    // guest series only for routes that run guests
    assertThat(metrics.named("jwagi_guest_duration_seconds_count"))
        .noneMatch(s -> s.labels().get("route").equals("none"))
        .noneMatch(s -> s.labels().get("route").equals("/metrics"));
    // never the raw path as a label
    assertThat(metrics.samples)
        .noneMatch(s -> s.labels().containsValue("/env/a/b") || s.labels().containsValue("/nope"));
  }

  @Test
  void metricsIsBuiltInPrometheusTextAndWinsOverAModuleRoute() throws Exception {
    HttpResponse<byte[]> response = server.get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(TestServer.text(response)).doesNotContain("hello world");
    PrometheusText.parse(TestServer.text(response));
    assertThat(startupLog.warnings())
        .contains(
            "route /metrics is the built-in Prometheus metrics and takes precedence over the module");
  }

  /** A guest run that is still going does not hold a scrape back: /metrics needs no worker. */
  @Test
  void aScrapeIsAnsweredWhileEveryWorkerIsBusy() throws Exception {
    try (TestServer busy =
            TestServer.start(
                Files.createDirectories(dir.resolve("busy")),
                TestServer.module("/sleep", TestServer.wasm("sleep")),
                "--max-concurrency",
                "1",
                "--queue",
                "0");
        RawConnection slow = busy.raw()) {
      slow.send("GET /sleep?3000 HTTP/1.1\r\nHost: h\r\n\r\n");
      ServerThreads.awaitWorkersInGuest(1, 10_000);
      assertThat(busy.get("/sleep?1").statusCode()).isEqualTo(503); // no worker free
      PrometheusText metrics = PrometheusText.parse(TestServer.text(busy.get("/metrics")));
      assertThat(metrics.value("jwagi_guests_running", Map.of())).isEqualTo(1);
      assertThat(metrics.value("jwagi_backpressure_total", Map.of("route", "/sleep"))).isEqualTo(1);
      assertThat(slow.read().status()).isEqualTo(200);
    }
  }

  @Test
  void metricsOffRemovesTheRoute() throws Exception {
    try (TestServer off =
            TestServer.start(
                Files.createDirectories(dir.resolve("off")),
                TestServer.module("/hello", TestServer.example("hello")),
                "--metrics",
                "off");
        TestServer offWithModule =
            TestServer.start(
                Files.createDirectories(dir.resolve("off-module")),
                TestServer.module("/metrics", TestServer.example("hello")),
                "--metrics",
                "off")) {
      assertThat(off.get("/hello").statusCode()).isEqualTo(200);
      assertThat(off.get("/metrics").statusCode()).isEqualTo(404);
      // with the built-in gone, a module may answer /metrics itself
      assertThat(TestServer.text(offWithModule.get("/metrics"))).isEqualTo("hello world\n");
    }
  }

  /**
   * Scrapes until the request counters (outside /metrics) add up to what was sent and no guest
   * runs: the serving path may report a request, and free its worker, just after its response
   * reaches the client. Bounded; asserts on the last scrape either way.
   */
  private PrometheusText scrapeUntilCounted() throws Exception {
    int expected = sent.values().stream().flatMap(m -> m.values().stream()).mapToInt(i -> i).sum();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      HttpResponse<byte[]> response = server.get("/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      PrometheusText metrics = PrometheusText.parse(TestServer.text(response));
      int counted =
          requestCounters(metrics).values().stream()
              .flatMap(m -> m.values().stream())
              .mapToInt(i -> i)
              .sum();
      // A guest's worker returns just after its response is out (and counted): waited for too.
      boolean workersBack = metrics.value("jwagi_guests_running", Map.of()) == 0;
      if ((counted >= expected && workersBack) || System.nanoTime() > deadline) {
        return metrics;
      }
    }
  }

  /** jwagi_requests_total as route → status → count, leaving out the scrapes themselves. */
  private static Map<String, Map<String, Integer>> requestCounters(PrometheusText metrics) {
    Map<String, Map<String, Integer>> counters = new TreeMap<>();
    List<PrometheusText.Sample> samples = new ArrayList<>(metrics.named("jwagi_requests_total"));
    for (PrometheusText.Sample s : samples) {
      if (s.labels().get("route").equals("/metrics")) {
        continue;
      }
      assertThat(s.labels()).containsOnlyKeys("route", "status");
      counters
          .computeIfAbsent(s.labels().get("route"), r -> new TreeMap<>())
          .put(s.labels().get("status"), (int) s.value());
    }
    return counters;
  }
}
