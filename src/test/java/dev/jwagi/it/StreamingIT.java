package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Responses stream (README, "Streaming and memory"): what a guest flushes reaches the client while
 * it works; a guest that ends while its response is held back gets WAGI's semantics; a failure
 * after the head was sent leaves the client with an incomplete body.
 */
@Timeout(60)
class StreamingIT {
  @TempDir static Path dir;
  static TestServer server;
  static LogCapture log;

  @BeforeAll
  static void start() throws Exception {
    log = LogCapture.of("dev.jwagi.http.StreamingResponse", "dev.jwagi.routing.RoutingTable");
    server =
        TestServer.start(
            dir,
            TestServer.module("/stream", TestServer.wasm("stream"))
                + TestServer.module("/exit", TestServer.wasm("exit"))
                + TestServer.module("/bigout", TestServer.wasm("bigout"))
                + TestServer.module("/echo", TestServer.example("echo"))
                + TestServer.module("/slurp", TestServer.wasm("slurp"), "max_body = \"100KiB\"")
                // A module routed at /readyz: the built-in wins.
                + TestServer.module("/readyz", TestServer.example("hello")));
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server, log);
  }

  @Test
  void aFlushedLineReachesTheClientWhileTheModuleWorks() throws Exception {
    long sent = System.nanoTime();
    HttpResponse<InputStream> response =
        server
            .sendAsync(HttpRequest.newBuilder(server.uri("/stream?2000")), true)
            .get(30, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    try (var lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertThat(lines.readLine()).isEqualTo("first");
      long first = System.nanoTime();
      assertThat(lines.readLine()).isEqualTo("second");
      assertThat(lines.readLine()).isNull();
      long end = System.nanoTime();
      // The module works 2 s between its lines: the first arrives at least 1.5 s before the end.
      assertThat(TimeUnit.NANOSECONDS.toMillis(end - first)).isGreaterThanOrEqualTo(1500);
      assertThat(TimeUnit.NANOSECONDS.toMillis(first - sent)).isLessThan(1500);
    }
    assertThat(response.headers().firstValue("content-length")).isEmpty();
  }

  @Test
  void aSmallResponseOfAModuleThatExitsOneIsStill500() throws Exception {
    var response = server.get("/exit?1");
    assertThat(response.statusCode()).isEqualTo(500);
  }

  @Test
  void aSmallResponseHasAContentLength() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /stream?0 HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("content-length")).contains("13");
      assertThat(response.text()).isEqualTo("first\nsecond\n");
    }
  }

  @Test
  void aTrapAfterAMebibyteOfOutputLeavesAnIncompleteBody() throws Exception {
    try (var raw = server.raw()) {
      raw.send("GET /stream?0&1048576 HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThatThrownBy(raw::read)
          .isInstanceOf(EOFException.class)
          .hasMessageContaining("inside a chunked body");
    }
    assertThat(log.warnings())
        .anySatisfy(
            w ->
                assertThat(w)
                    .startsWith("route /stream: response cut short after")
                    .contains("module trapped"));
  }

  @Test
  void aLargeResponseStreamsWhole() throws Exception {
    int size = 10 << 20;
    try (var raw = server.raw()) {
      var response = raw.send("GET /bigout?" + size + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("transfer-encoding")).contains("chunked");
      assertThat(response.body()).hasSize(size);
      // The connection stays usable after a streamed response.
      var next = raw.send("GET /stream?0 HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(next.text()).isEqualTo("first\nsecond\n");
    }
  }

  @Test
  void aLargeUploadEchoesByteForByte() throws Exception {
    byte[] body = new byte[5 << 20];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (i * 31 + (i >> 12));
    }
    var response = server.post("/echo", body);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(body);
  }

  /** A chunked body: the pieces, each its own chunk, then the last chunk. */
  private static String chunked(String path, int pieces, int pieceSize) {
    StringBuilder request =
        new StringBuilder(
            "POST " + path + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    String piece = "y".repeat(pieceSize);
    for (int i = 0; i < pieces; i++) {
      request.append(Integer.toHexString(pieceSize)).append("\r\n").append(piece).append("\r\n");
    }
    return request.append("0\r\n\r\n").toString();
  }

  @Test
  void aSmallChunkedBodyArrivesWholeWithItsLength() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send(chunked("/slurp", 4, 1000)).read();
      assertThat(response.text()).isEqualTo("read 4000 bytes; CONTENT_LENGTH=4000\n");
    }
  }

  @Test
  void aLongChunkedBodyStreamsWithAnEmptyContentLength() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send(chunked("/slurp", 20, 4096)).read();
      assertThat(response.text()).isEqualTo("read 81920 bytes; CONTENT_LENGTH=\n");
    }
  }

  /**
   * The guest already reads a chunked body (more than 64 KiB arrived) when it crosses the route's
   * 100 KiB cap: its stdin ends in an error, and the answer is 413.
   */
  @Test
  void aChunkedBodyCrossingTheCapWhileTheGuestReadsGets413() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send(chunked("/slurp", 40, 4096)).read();
      assertThat(response.status()).isEqualTo(413);
      assertThat(response.header("connection")).contains("close");
    }
  }

  @Test
  void readyzIsBuiltInAndBeatsAModuleRoutedThere() throws Exception {
    var response = server.get("/readyz");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(response)).isEqualTo("ready\n");
    assertThat(log.warnings())
        .contains(
            "route /readyz is the built-in readiness check and takes precedence over the module");
  }
}
