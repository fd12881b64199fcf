package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module's stdout → the HTTP response (as in WAGI; see the README), through raw.wasm, which
 * prints its request body verbatim: each test POSTs the exact CGI output it wants.
 */
@Timeout(60)
class ResponseIT {
  @TempDir static Path dir;
  static TestServer server;
  static LogCapture handlerLog;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            dir,
            "[[module]]\nroute = \"/raw\"\nmodule = "
                + TestServer.wasm("raw")
                + "\n\n[[module]]\nroute = \"/hello\"\nmodule = "
                + TestServer.example("hello")
                + "\n");
    handlerLog = LogCapture.of("dev.jwagi.routing.ModuleHandler");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(handlerLog, server);
  }

  /** raw.wasm prints {@code cgiOutput}; returns the response. */
  private static HttpResponse<byte[]> output(String cgiOutput) throws Exception {
    return output(cgiOutput.getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<byte[]> output(byte[] cgiOutput) throws Exception {
    return server.post("/raw", cgiOutput);
  }

  @Test
  void contentTypeAloneIs200() throws Exception {
    var response = output("Content-Type: text/html; charset=utf-8\n\n<p>hi</p>");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(TestServer.text(response)).isEqualTo("<p>hi</p>");
  }

  @Test
  void statusWithReason() throws Exception {
    var response = output("Status: 404 Not Found\nContent-Type: text/plain\n\nnope\n");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(TestServer.text(response)).isEqualTo("nope\n");
    assertThat(response.headers().map()).doesNotContainKey("status");
  }

  @Test
  void statusWithReasonOnTheWire() throws Exception {
    try (var raw = server.raw()) {
      String body = "Status: 404 Not Found\nContent-Type: text/plain\n\nnope";
      var response = raw.post("/raw", body).read();
      assertThat(response.statusLine()).isEqualTo("HTTP/1.1 404 Not Found");
      assertThat(response.text()).isEqualTo("nope");
    }
  }

  @Test
  void statusWithoutReason() throws Exception {
    var response = output("Status: 201\n\n");
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void statusAloneWithABody() throws Exception {
    var response = output("Status: 418 I'm a teapot\n\nshort and stout");
    assertThat(response.statusCode()).isEqualTo(418);
    assertThat(TestServer.text(response)).isEqualTo("short and stout");
  }

  @Test
  void locationAloneIs302() throws Exception {
    var response = output("Location: https://example.com/elsewhere?x=1\n\n");
    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.headers().firstValue("location"))
        .hasValue("https://example.com/elsewhere?x=1");
  }

  @Test
  void locationThenStatusGivesTheStatus() throws Exception {
    var response = output("Location: /moved\nStatus: 301 Moved Permanently\n\n");
    assertThat(response.statusCode()).isEqualTo(301);
    assertThat(response.headers().firstValue("location")).hasValue("/moved");
  }

  @Test
  void statusThenLocationGivesTheStatus() throws Exception {
    var response = output("Status: 303 See Other\nLocation: /other\n\n");
    assertThat(response.statusCode()).isEqualTo(303);
    assertThat(response.headers().firstValue("location")).hasValue("/other");
  }

  @Test
  void statusOkWithLocationIsNotARedirect() throws Exception {
    var response =
        output("Location: /created/1\nStatus: 201 Created\nContent-Type: text/plain\n\nok");
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.headers().firstValue("location")).hasValue("/created/1");
    assertThat(TestServer.text(response)).isEqualTo("ok");
  }

  @Test
  void headerNamesAreCaseInsensitive() throws Exception {
    var response = output("content-TYPE: text/plain\nSTATUS: 202 Accepted\n\nbody");
    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
    var redirect = output("LOCATION: /x\n\n");
    assertThat(redirect.statusCode()).isEqualTo(302);
    assertThat(redirect.headers().firstValue("location")).hasValue("/x");
  }

  @Test
  void noContentTypeLocationOrStatusIs500() throws Exception {
    var response = output("X-Only: 1\n\nbody");
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(TestServer.text(response)).doesNotContain("body");
    var blankHeaders = output("\nbody only");
    assertThat(blankHeaders.statusCode()).isEqualTo(500);
  }

  @Test
  void repeatedSetCookieAllDelivered() throws Exception {
    var response =
        output(
            "Content-Type: text/plain\nSet-Cookie: a=1; Path=/\nSet-Cookie: b=2\n"
                + "Set-Cookie: c=3; HttpOnly\n\nok");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().allValues("set-cookie"))
        .containsExactly("a=1; Path=/", "b=2", "c=3; HttpOnly");
  }

  @Test
  void customHeadersPassThrough() throws Exception {
    var response =
        output(
            "Content-Type: text/plain\nX-Custom: hello world\nCache-Control: no-store\n"
                + "X-Empty-Ish:   spaced value   \n\nok");
    assertThat(response.headers().firstValue("x-custom")).hasValue("hello world");
    assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
    assertThat(response.headers().firstValue("x-empty-ish")).hasValue("spaced value");
  }

  @Test
  void moduleContentLengthIsIgnoredTheServerFramesTheBody() throws Exception {
    try (var raw = server.raw()) {
      String body = "Content-Type: text/plain\nContent-Length: 999\n\nabc";
      var response = raw.post("/raw", body).read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.headers().get("content-length")).containsExactly("3");
      assertThat(response.text()).isEqualTo("abc");
    }
  }

  @Test
  void bodyIsByteExactIncludingCrLfAndBlankLines() throws Exception {
    var response = output("Content-Type: text/plain\n\nline1\r\nline2\r\n\r\n\n\nend\r");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(TestServer.text(response)).isEqualTo("line1\r\nline2\r\n\r\n\n\nend\r");
  }

  @Test
  void binaryBodyIsByteExact() throws Exception {
    byte[] head = "Content-Type: application/octet-stream\n\n".getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + 256];
    System.arraycopy(head, 0, out, 0, head.length);
    for (int i = 0; i < 256; i++) {
      out[head.length + i] = (byte) (255 - i);
    }
    var response = output(out);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).hasSize(256);
    for (int i = 0; i < 256; i++) {
      assertThat(response.body()[i]).as("byte %d", i).isEqualTo((byte) (255 - i));
    }
  }

  @Test
  void crlfHeaderBlockIsAccepted() throws Exception {
    var response = output("Content-Type: text/plain\r\nX-A: b\r\nStatus: 200 OK\r\n\r\nbody\r\n");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
    assertThat(response.headers().firstValue("x-a")).hasValue("b");
    assertThat(TestServer.text(response)).isEqualTo("body\r\n");
  }

  @Test
  void noBlankLineIs502() throws Exception {
    var response = output("Content-Type: text/plain\nX-A: b\n");
    assertThat(response.statusCode()).isEqualTo(502);
    var noNewlineAtAll = output("Content-Type: text/plain");
    assertThat(noNewlineAtAll.statusCode()).isEqualTo(502);
  }

  @Test
  void headerLineWithoutColonIs502AndTheReasonIsLogged() throws Exception {
    var response = output("Content-Type: text/plain\nNoColonHere\n\nbody");
    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(TestServer.text(response)).doesNotContain("body");
    assertThat(handlerLog.warnings())
        .anyMatch(w -> w.contains("/raw") && w.contains("NoColonHere"));
  }

  @Test
  void emptyOutputIs502() throws Exception {
    var response = output(new byte[0]);
    assertThat(response.statusCode()).isEqualTo(502);
  }

  @Test
  void invalidStatusIs502() throws Exception {
    assertThat(output("Status: abc\n\n").statusCode()).isEqualTo(502);
    assertThat(output("Status: 99\n\n").statusCode()).isEqualTo(502);
  }

  @Test
  void headGetsHeadersAndNoBody() throws Exception {
    var response =
        server.send(
            HttpRequest.newBuilder(server.uri("/hello"))
                .version(HttpClient.Version.HTTP_1_1)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/plain");
    assertThat(response.body()).isEmpty();
  }

  /**
   * On one connection, HEAD then GET: if the HEAD response carried any body bytes, they would be
   * read as the start of the second response.
   */
  @Test
  void headResponseHasNoBodyOnTheWire() throws Exception {
    try (var raw = server.raw()) {
      raw.send("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
      var head = raw.read(true);
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("content-type")).hasValue("text/plain");
      assertThat(head.header("content-length")).hasValue("12"); // what GET would send
      var get = raw.read();
      assertThat(get.statusLine()).isEqualTo("HTTP/1.1 200 OK");
      assertThat(get.text()).isEqualTo("hello world\n");
    }
  }

  /** POSTs {@code cgiOutput} to raw.wasm and a GET /hello right behind it on one connection. */
  private static RawConnection.Response[] pipelined(RawConnection raw, String cgiOutput)
      throws Exception {
    raw.post("/raw", cgiOutput).send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
    var first = raw.read();
    var second = raw.read();
    return new RawConnection.Response[] {first, second};
  }

  /** 204 and 304 carry no body on the wire, whatever the module printed after the headers. */
  @Test
  void noContentAndNotModifiedSendNoBody() throws Exception {
    for (String code : new String[] {"204", "304"}) {
      try (var raw = server.raw()) {
        var responses = pipelined(raw, "Status: " + code + "\nContent-Type: text/plain\n\nbody");
        assertThat(responses[0].status()).as(code).isEqualTo(Integer.parseInt(code));
        // had the body been sent, it would be read as the start of the next response
        assertThat(responses[1].statusLine()).as(code).isEqualTo("HTTP/1.1 200 OK");
        assertThat(responses[1].text()).as(code).isEqualTo("hello world\n");
      }
    }
  }

  /**
   * A CGI response is final: a module's 1xx status cannot be sent as is (a 100 would leave the
   * client waiting for the real response; a 101 would tell it the protocol changed).
   */
  @Test
  void informationalStatusIs502() throws Exception {
    for (String code : new String[] {"100", "101", "103"}) {
      try (var raw = server.raw()) {
        var responses = pipelined(raw, "Status: " + code + "\nContent-Type: text/plain\n\nbody");
        assertThat(responses[0].status()).as(code).isEqualTo(502);
        assertThat(responses[1].text()).as(code).isEqualTo("hello world\n");
      }
    }
  }
}
