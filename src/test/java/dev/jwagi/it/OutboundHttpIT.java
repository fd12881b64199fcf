package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.jwagi.config.ConfigException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound HTTP for guests (wasi_experimental_http): a real guest (src/test/wasm/outbound.c) calls
 * a real HTTP server on loopback started here, through the allowed_hosts and http_max_concurrency
 * of its route; it prints every result code it gets.
 */
@Timeout(120)
class OutboundHttpIT {
  static final String UPSTREAM_BODY = "hello from upstream, longer than one 7-byte read\n";

  @TempDir static Path dir;
  static HttpServer upstream;
  static final AtomicInteger upstreamRequests = new AtomicInteger();
  static final List<Map<String, String>> seen = new CopyOnWriteArrayList<>();

  /** A listener nothing may connect to: a denied request must leave its backlog empty. */
  static ServerSocketChannel denied;

  static TestServer server;
  static final CountDownLatch release = new CountDownLatch(1);

  @BeforeAll
  static void start() throws Exception {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.setExecutor(Executors.newFixedThreadPool(4));
    upstream.createContext(
        "/data",
        exchange -> {
          upstreamRequests.incrementAndGet();
          Map<String, String> request = new ConcurrentHashMap<>();
          request.put("method", exchange.getRequestMethod());
          String guestHeader = exchange.getRequestHeaders().getFirst("X-Guest");
          request.put("x-guest", guestHeader == null ? "(none)" : guestHeader);
          String type = exchange.getRequestHeaders().getFirst("Content-Type");
          request.put("content-type", type == null ? "(none)" : type);
          request.put(
              "body", new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          seen.add(request);
          byte[] body = UPSTREAM_BODY.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/x-upstream");
          exchange.getResponseHeaders().add("X-Test", "yes");
          exchange.sendResponseHeaders(201, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    upstream.createContext(
        "/big",
        exchange -> {
          upstreamRequests.incrementAndGet();
          byte[] body = new byte[64 * 1024];
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    upstream.createContext(
        "/redirect",
        exchange -> {
          upstreamRequests.incrementAndGet();
          exchange.getResponseHeaders().add("Location", "http://localhost:1/elsewhere");
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    upstream.createContext(
        "/hang",
        exchange -> {
          upstreamRequests.incrementAndGet();
          try {
            release.await(); // answers only when the test is over
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    upstream.start();
    denied = ServerSocketChannel.open();
    denied.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    denied.configureBlocking(false);

    String outbound = TestServer.wasm("outbound");
    String allowed = "allowed_hosts = [\"http://127.0.0.1:" + upstreamPort() + "\"]";
    server =
        TestServer.start(
            dir,
            TestServer.module("/out", outbound, allowed, "http_max_concurrency = 2")
                + TestServer.module("/closed", outbound)
                + TestServer.module("/empty", outbound, "allowed_hosts = []")
                + TestServer.module("/any", outbound, "allowed_hosts = [\"insecure:allow-all\"]")
                + TestServer.module("/small", outbound, allowed, "max_output = \"16KiB\"")
                + TestServer.module("/unlimited", outbound, allowed)
                + TestServer.module("/slow", outbound, allowed, "timeout = \"1s\""));
  }

  @AfterAll
  static void stop() throws Exception {
    release.countDown();
    TestServer.closeAll(server, denied);
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  static int upstreamPort() {
    return upstream.getAddress().getPort();
  }

  static String upstreamUrl(String path) {
    return "http://127.0.0.1:" + upstreamPort() + path;
  }

  static String run(String pathAndQuery) throws Exception {
    var response = server.get(pathAndQuery);
    assertThat(response.statusCode()).as(TestServer.text(response)).isEqualTo(200);
    return TestServer.text(response);
  }

  @Test
  void anAllowedHostAnswersAndStatusHeadersAndBodyReachTheGuest() throws Exception {
    String out = run("/out?get&" + upstreamUrl("/data"));
    assertThat(out)
        .contains("req=0 status=201\n")
        .contains("header Content-Type=text/x-upstream\n")
        .contains("header x-test=yes\n")
        .contains("header x-missing: error 5\n") // header not found
        .contains("header x-test: error 4\n") // a 1-byte buffer is too small
        .contains("headers_get_all=0\n")
        .contains("content-type:text/x-upstream\n")
        .contains("x-test:yes\n")
        .contains("headers_get_all small=4\n")
        .contains("body:\n" + UPSTREAM_BODY + "\nend of body\n")
        .contains("close=0\n")
        .contains("body_read after close=1\n");
    assertThat(seen).anySatisfy(r -> assertThat(r).containsEntry("x-guest", "jwagi"));
  }

  @Test
  void theGuestsMethodHeadersAndBodyReachTheServer() throws Exception {
    var response =
        server.post(
            "/out?post&" + upstreamUrl("/data"),
            "sent by the guest".getBytes(StandardCharsets.UTF_8));
    assertThat(TestServer.text(response))
        .contains("req=0 status=201\n")
        .contains("body:\n" + UPSTREAM_BODY);
    assertThat(seen)
        .anySatisfy(
            r ->
                assertThat(r)
                    .containsEntry("method", "POST")
                    .containsEntry("x-guest", "jwagi")
                    .containsEntry("content-type", "text/plain")
                    .containsEntry("body", "sent by the guest"));
  }

  @Test
  void anotherHostGets7AndNoConnectionIsOpened() throws Exception {
    int port = ((InetSocketAddress) denied.getLocalAddress()).getPort();
    // /out allows 127.0.0.1 only: "localhost" is another host, even on the same machine.
    assertThat(run("/out?get&http://localhost:" + port + "/x")).contains("req=7 status=0\n");
    // No allowed_hosts, or an empty list: every host is denied, the allowed one too.
    int before = upstreamRequests.get();
    assertThat(run("/closed?get&" + upstreamUrl("/data"))).contains("req=7 status=0\n");
    assertThat(run("/empty?get&" + upstreamUrl("/data"))).contains("req=7 status=0\n");
    assertThat(run("/closed?get&http://127.0.0.1:" + port + "/x")).contains("req=7 status=0\n");
    // The guest has its answer, so any connect would already be in the listener's backlog.
    assertThat(denied.accept()).isNull();
    assertThat(upstreamRequests.get()).isEqualTo(before);
  }

  /** A redirect could lead past allowed_hosts: the guest gets it, jwagi does not follow it. */
  @Test
  void redirectsAreNotFollowed() throws Exception {
    assertThat(run("/out?get&" + upstreamUrl("/redirect")))
        .contains("req=0 status=302\n")
        .contains("location:http://localhost:1/elsewhere\n");
  }

  @Test
  void insecureAllowAllAllowsEveryHost() throws Exception {
    assertThat(run("/any?get&" + upstreamUrl("/data"))).contains("req=0 status=201\n");
  }

  @Test
  void moreOpenResponsesThanHttpMaxConcurrencyGet13() throws Exception {
    assertThat(run("/out?many&3&" + upstreamUrl("/data")))
        .contains("req[0]=0\nreq[1]=0\nreq[2]=13\n");
  }

  @Test
  void withoutHttpMaxConcurrencyThereIsNoLimitOfItsOwn() throws Exception {
    assertThat(run("/unlimited?many&3&" + upstreamUrl("/data")))
        .contains("req[0]=0\nreq[1]=0\nreq[2]=0\n");
  }

  @Test
  void aHandleThatWasNeverOpenedGets1() throws Exception {
    assertThat(run("/out?bad")).contains("header_get=1\nheaders_get_all=1\nbody_read=1\nclose=1\n");
  }

  @Test
  void badUrlsAndMethodsGetTheirCodes() throws Exception {
    assertThat(run("/out?get&not-a-url")).contains("req=10 status=0\n");
    assertThat(run("/out?get&ftp://127.0.0.1/x")).contains("req=10 status=0\n");
    assertThat(run("/out?method&" + upstreamUrl("/data"))).contains("req=8\n");
  }

  @Test
  void anUnreachableServerGets11() throws Exception {
    int closedPort;
    try (var probe = ServerSocketChannel.open()) {
      probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      closedPort = ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
    assertThat(run("/out?get&http://127.0.0.1:" + closedPort + "/x")).contains("req=11 status=0\n");
  }

  @Test
  void responsesCountAgainstMaxOutput() throws Exception {
    // /small has max_output = 16KiB; the 64 KiB response stops the guest as output past it would.
    var response = server.get("/small?get&" + upstreamUrl("/big"));
    assertThat(response.statusCode()).isEqualTo(502);
    // Under the cap the same route works.
    assertThat(run("/small?get&" + upstreamUrl("/data"))).contains("req=0 status=201\n");
  }

  @Test
  void anUpstreamThatDoesNotAnswerIsCutByTheRoutesTimeout() throws Exception {
    long started = System.nanoTime();
    var response = server.get("/slow?get&" + upstreamUrl("/hang"));
    assertThat(response.statusCode()).isEqualTo(504);
    // The route's timeout is 1 s; the bound is loose for a loaded machine.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    // The worker is free again: the route still answers.
    assertThat(run("/slow?get&" + upstreamUrl("/data"))).contains("req=0 status=201\n");
  }

  /** A module importing {@code import} (WAT text), started alone in dir/name. */
  private static void startWithImport(String name, String imp) throws Exception {
    Path wat =
        java.nio.file.Files.writeString(
            java.nio.file.Files.createDirectories(dir.resolve(name)).resolve(name + ".wat"),
            "(module " + imp + " (memory (export \"memory\") 1) (func (export \"_start\")))\n");
    TestServer.start(dir.resolve(name), TestServer.module("/" + name, TestServer.tomlString(wat)))
        .close();
  }

  @Test
  void anImportTheAbiDoesNotHaveFailsStartUp() {
    assertThatThrownBy(
            () -> startWithImport("nope", "(import \"wasi_experimental_http\" \"nope\" (func))"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("route \"/nope\"")
        .hasMessageContaining("\"wasi_experimental_http\".\"nope\"")
        .hasMessageContaining("body_read, close, header_get, headers_get_all, req");
    assertThatThrownBy(
            () ->
                startWithImport(
                    "sig",
                    "(import \"wasi_experimental_http\" \"close\" (func (param i64) (result i32)))"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("route \"/sig\"")
        .hasMessageContaining("\"wasi_experimental_http\".\"close\" as");
  }

  @Test
  void anAllowedHostThatIsNotAUrlFailsStartUp() {
    Path other = dir.resolve("bad");
    assertThatThrownBy(
            () ->
                TestServer.start(
                    other,
                    TestServer.module(
                        "/bad",
                        TestServer.wasm("outbound"),
                        "allowed_hosts = [\"api.example.com\"]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(other.resolve("modules.toml").toString())
        .hasMessageContaining("route \"/bad\"")
        .hasMessageContaining("key `allowed_hosts`")
        .hasMessageContaining("\"api.example.com\" is not a URL with a host");
  }
}
