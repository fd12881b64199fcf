package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.ResponseSink;
import dev.jwagi.config.ConnectionLimits;
import dev.jwagi.config.RoutePattern;
import dev.jwagi.http.HttpServer;
import dev.jwagi.memory.MemoryBudget;
import dev.jwagi.observe.GuestOutcome;
import dev.jwagi.observe.RequestRecord;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Handler;
import dev.jwagi.routing.Readiness;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import dev.jwagi.routing.ServingTable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker task that throws (here: a handler that throws, standing for an OutOfMemoryError or a bug
 * of ours) is the server's failure: the client gets a 500, the log an error naming the route, the
 * worker keeps serving. And what the serving path reports to {@link ServerEvents}.
 */
@Timeout(60)
class ServerFailureIT {
  static final LinkedBlockingQueue<RequestRecord> requests = new LinkedBlockingQueue<>();
  static final List<String> guestRuns = new CopyOnWriteArrayList<>();
  static final List<String> refusals = new CopyOnWriteArrayList<>();
  static HttpServer server;
  static RoutingTable routes;
  static final Readiness readiness = new Readiness();
  static LogCapture log;
  static final HttpClient client = HttpClient.newHttpClient();

  /** A handler with a given behaviour, standing in for a module. */
  record Fake(String name, java.util.function.BiConsumer<IncomingRequest, ResponseSink> body)
      implements Handler {
    @Override
    public boolean runsGuest() {
      return true;
    }

    @Override
    public long maxBodyBytes() {
      return 1 << 20;
    }

    @Override
    public void handle(IncomingRequest request, ResponseSink sink) {
      body.accept(request, sink);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    log =
        LogCapture.of(
            "dev.jwagi.http.HandlerTask",
            "dev.jwagi.http.RequestHandler",
            "dev.jwagi.http.StreamingResponse");
    routes =
        RoutingTable.of(
            List.of(
                new Route(
                    RoutePattern.parse("/oom"),
                    new Fake(
                        "oom",
                        (request, sink) -> {
                          throw new OutOfMemoryError("Java heap space (injected)");
                        }),
                    0),
                new Route(
                    RoutePattern.parse("/forgets"), new Fake("forgets", (request, sink) -> {}), 1),
                new Route(
                    RoutePattern.parse("/ok"),
                    new Fake(
                        "ok",
                        (request, sink) -> {
                          try {
                            byte[] body = request.body().readAllBytes();
                            sink.respond(
                                new CgiResponse(
                                    201, null, CgiResponse.text(200, "").headers(), body));
                          } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                          }
                        }),
                    2)),
            readiness);
    ServerEvents events =
        new ServerEvents() {
          @Override
          public void requestDone(RequestRecord request) {
            requests.add(request);
          }

          @Override
          public void guestRun(
              String route, GuestOutcome outcome, long prepareNanos, long runNanos) {
            guestRuns.add(route + " " + outcome);
          }

          @Override
          public void backpressure(String route) {
            refusals.add(route);
          }
        };
    server =
        HttpServer.open(
            "127.0.0.1",
            0,
            // One worker; a queue of one, so that a request sent as soon as the previous
            // response arrived waits for the worker to finish its bookkeeping (with no queue it
            // could be refused 503 in that instant).
            new ConnectionLimits(
                Duration.ofSeconds(30),
                Duration.ofSeconds(60),
                1,
                1,
                Duration.ofSeconds(5),
                1L << 30,
                Duration.ofSeconds(30),
                1L << 30,
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir")),
                16L << 20),
            null,
            events,
            new MemoryBudget(1L << 30),
            readiness);
    server.listen(new ServingTable(routes));
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server, log);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  @Test
  void aThrowingWorkerTaskGets500AndALogLineAndTheWorkerServesOn() throws Exception {
    var response = send(HttpRequest.newBuilder(uri("/oom")));
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(log.warnings())
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith("route /oom: server error: java.lang.OutOfMemoryError")
                    .contains("injected"));
    assertThat(guestRuns).contains("/oom SERVER_ERROR");
    // One worker in all: it survived.
    assertThat(send(HttpRequest.newBuilder(uri("/ok"))).statusCode()).isEqualTo(201);
  }

  @Test
  void aHandlerThatLeavesItsResponseUnfinishedGets500() throws Exception {
    assertThat(send(HttpRequest.newBuilder(uri("/forgets"))).statusCode()).isEqualTo(500);
    assertThat(log.warnings())
        .contains("route /forgets: the handler returned without finishing its response");
  }

  @Test
  void everyRequestIsReportedOnceWithItsFields() throws Exception {
    requests.clear();
    var response =
        send(
            HttpRequest.newBuilder(uri("/ok?q=1"))
                .POST(HttpRequest.BodyPublishers.ofString("twelve bytes")));
    assertThat(response.statusCode()).isEqualTo(201);
    RequestRecord record = next("/ok");
    assertThat(record.route()).isEqualTo("/ok");
    assertThat(record.method()).isEqualTo("POST");
    assertThat(record.target()).isEqualTo("/ok?q=1");
    assertThat(record.protocol()).isEqualTo("HTTP/1.1");
    assertThat(record.client()).isEqualTo("127.0.0.1");
    assertThat(record.status()).isEqualTo(201);
    assertThat(record.bytesIn()).isEqualTo(12);
    assertThat(record.bytesOut()).isEqualTo(12);
    assertThat(record.complete()).isTrue();
    assertThat(record.totalNanos()).isPositive();
    assertThat(record.guestNanos()).isPositive().isLessThanOrEqualTo(record.totalNanos());
    assertThat(record.start()).isNotNull();

    assertThat(send(HttpRequest.newBuilder(uri("/nowhere"))).statusCode()).isEqualTo(404);
    RequestRecord notFound = next(null);
    assertThat(notFound.route()).isNull();
    assertThat(notFound.status()).isEqualTo(404);
    assertThat(notFound.guestNanos()).isZero();
    RequestRecord extra;
    while ((extra = requests.poll(200, TimeUnit.MILLISECONDS)) != null) {
      assertThat(extra.target()).as("one record per request").isNotIn("/ok?q=1", "/nowhere");
    }
  }

  /**
   * The next record of this route (null: no route), skipping late ones of earlier tests (a record
   * is made just after the response is written, so it may come after the client has it).
   */
  private static RequestRecord next(String route) throws InterruptedException {
    for (; ; ) {
      RequestRecord record = requests.poll(10, TimeUnit.SECONDS);
      assertThat(record).as("a record for route %s", route).isNotNull();
      if (java.util.Objects.equals(record.route(), route)) {
        return record;
      }
    }
  }
}
