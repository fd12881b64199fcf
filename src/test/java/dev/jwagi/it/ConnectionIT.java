package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP connection: keep-alive, pipelining in order, HTTP/1.0, malformed requests. */
@Timeout(60)
class ConnectionIT {
  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            dir,
            "[[module]]\nroute = \"/hello\"\nmodule = "
                + TestServer.example("hello")
                + "\n\n[[module]]\nroute = \"/env/...\"\nmodule = "
                + TestServer.example("env")
                + "\n\n[[module]]\nroute = \"/sleep\"\nmodule = "
                + TestServer.wasm("sleep")
                + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
  }

  @Test
  void twoSequentialRequestsOnOneConnection() throws Exception {
    try (var raw = server.raw()) {
      var first = raw.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.text()).isEqualTo("hello world\n");
      assertThat(first.header("connection")).isNotEqualTo(java.util.Optional.of("close"));
      var second = raw.send("GET /env/second HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(second.status()).isEqualTo(200);
      assertThat(EnvDump.parse(second.body()).argv()).containsExactly("/env/second");
    }
  }

  /**
   * Two pipelined GETs written at once; the first runs longer (sleep.wasm, 150 ms), so answering in
   * completion order instead of request order would put the second response first.
   */
  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    try (var raw = server.raw()) {
      raw.send(
          "GET /sleep?150 HTTP/1.1\r\nHost: h\r\n\r\n"
              + "GET /env/second?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
              + "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
      var first = raw.read();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.text()).isEqualTo("slept\n");
      var second = raw.read();
      assertThat(second.status()).isEqualTo(200);
      assertThat(EnvDump.parse(second.body()).argv()).containsExactly("/env/second", "x=1");
      var third = raw.read();
      assertThat(third.text()).isEqualTo("hello world\n");
    }
  }

  @Test
  void pipelinedPostsKeepTheirBodiesApart() throws Exception {
    try (var raw = server.raw()) {
      raw.send(
          "POST /env/a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nAAA"
              + "POST /env/b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nBBBB");
      assertThat(EnvDump.parse(raw.read().body()).bodyText()).isEqualTo("AAA");
      assertThat(EnvDump.parse(raw.read().body()).bodyText()).isEqualTo("BBBB");
    }
  }

  @Test
  void malformedRequestLineIs400() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("THIS IS NOT HTTP\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(400);
      assertThat(raw.closedByServer()).isTrue();
    }
    try (var raw = server.raw()) {
      assertThat(raw.send("GARBAGE\r\n\r\n").read().status()).isEqualTo(400);
    }
  }

  @Test
  void malformedHeaderLineIs400() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /hello HTTP/1.1\r\nHost h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(400);
    }
  }

  @Test
  void theServerStillServesAfterABadRequest() throws Exception {
    try (var raw = server.raw()) {
      assertThat(raw.send("NONSENSE\r\n\r\n").read().status()).isEqualTo(400);
    }
    assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
  }

  @Test
  void http10WithoutKeepAliveIsClosedAfterTheResponse() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /hello HTTP/1.0\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.text()).isEqualTo("hello world\n");
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void connectionCloseIsHonoured() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.header("connection")).hasValue("close");
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void http10KeepAliveKeepsTheConnection() throws Exception {
    try (var raw = server.raw()) {
      var first = raw.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
      assertThat(first.text()).isEqualTo("hello world\n");
      // An HTTP/1.0 client (ab -k) keeps the connection only when the response says so.
      assertThat(first.header("Connection"))
          .hasValueSatisfying(v -> assertThat(v).isEqualToIgnoringCase("keep-alive"));
      var second = raw.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
      assertThat(second.text()).isEqualTo("hello world\n");
    }
  }

  @Test
  void notFoundKeepsTheConnection() throws Exception {
    try (var raw = server.raw()) {
      assertThat(raw.send("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n").read().status()).isEqualTo(404);
      assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read().text())
          .isEqualTo("hello world\n");
    }
  }
}
