package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a module sees of a request (as in WAGI; see the README): every CGI variable, argv with and
 * without a template, and stdin byte for byte. One server, no global env, no --hostname.
 */
@Timeout(60)
class CgiEnvironmentIT {
  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    String env = TestServer.example("env");
    server =
        TestServer.start(
            dir,
            "[[module]]\nroute = \"/env/...\"\nmodule = "
                + env
                + "\n\n[[module]]\nroute = \"/exact\"\nmodule = "
                + env
                + "\n\n[[module]]\nroute = \"/argv\"\nmodule = "
                + env
                + "\nargv = \"${SCRIPT_NAME} --x ${ARGS}\"\n"
                + "\n[[module]]\nroute = \"/targv/...\"\nmodule = "
                + env
                + "\nargv = \"${SCRIPT_NAME} --x ${ARGS}\"\n"
                + "\n[[module]]\nroute = \"/echo\"\nmodule = "
                + TestServer.example("echo")
                + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
  }

  /** Every variable of the contract, and nothing else, for an exact route. */
  @Test
  void exactRouteGetsExactlyTheContractVariables() throws Exception {
    RawConnection.Response response;
    try (var raw = server.raw()) {
      response =
          raw.send(
                  "POST /exact?a=1&b=%2F+c HTTP/1.1\r\n"
                      + "Host: example.com:8080\r\n"
                      + "Content-Type: application/json\r\n"
                      + "Content-Length: 5\r\n"
                      + "Authorization: Bearer secret-token\r\n"
                      + "Connection: keep-alive\r\n"
                      + "X-Custom-Thing: v1\r\n"
                      + "x-lower: low\r\n"
                      + "X-Multi: a\r\n"
                      + "X-Multi: b\r\n"
                      + "\r\n"
                      + "hello")
              .read();
    }
    assertThat(response.status()).isEqualTo(200);
    EnvDump dump = EnvDump.parse(response.body());

    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("AUTH_TYPE", "");
    expected.put("CONTENT_LENGTH", "5");
    expected.put("CONTENT_TYPE", "application/json");
    expected.put("GATEWAY_INTERFACE", "CGI/1.1");
    expected.put("QUERY_STRING", "a=1&b=%2F+c");
    expected.put("REMOTE_ADDR", "127.0.0.1");
    expected.put("REMOTE_HOST", "127.0.0.1");
    expected.put("REMOTE_USER", "");
    expected.put("REQUEST_METHOD", "POST");
    expected.put("SCRIPT_NAME", "/exact");
    expected.put("PATH_INFO", "");
    expected.put("X_RAW_PATH_INFO", "");
    expected.put("PATH_TRANSLATED", "");
    expected.put("SERVER_NAME", "example.com");
    expected.put("SERVER_PORT", "8080");
    expected.put("SERVER_PROTOCOL", "HTTP/1.1");
    expected.put("SERVER_SOFTWARE", "WAGI/1");
    expected.put("X_MATCHED_ROUTE", "/exact");
    expected.put("X_FULL_URL", "http://example.com:8080/exact?a=1&b=%2F+c");
    expected.put("HTTP_HOST", "example.com:8080");
    expected.put("HTTP_CONTENT_TYPE", "application/json");
    expected.put("HTTP_CONTENT_LENGTH", "5");
    expected.put("HTTP_X_CUSTOM_THING", "v1");
    expected.put("HTTP_X_LOWER", "low");
    expected.put("HTTP_X_MULTI", "a, b"); // RFC 3875 §4.1.18: one variable, values joined
    // Exactly these: no HTTP_AUTHORIZATION, no HTTP_CONNECTION, nothing of the host's env.
    assertThat(dump.env()).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(dump.argv()).containsExactly("/exact", "a=1", "b=%2F+c");
    assertThat(dump.bodyText()).isEqualTo("hello");
  }

  /** The same for a wildcard route, with a percent-encoded path under it. */
  @Test
  void wildcardRouteGetsExactlyTheContractVariables() throws Exception {
    RawConnection.Response response;
    try (var raw = server.raw()) {
      response =
          raw.send("GET /env/a%20b/c%2Fd/%C3%A9 HTTP/1.1\r\nHost: example.com\r\n\r\n").read();
    }
    assertThat(response.status()).isEqualTo(200);
    EnvDump dump = EnvDump.parse(response.body());

    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("AUTH_TYPE", "");
    expected.put("CONTENT_LENGTH", "0");
    expected.put("CONTENT_TYPE", "");
    expected.put("GATEWAY_INTERFACE", "CGI/1.1");
    expected.put("QUERY_STRING", "");
    expected.put("REMOTE_ADDR", "127.0.0.1");
    expected.put("REMOTE_HOST", "127.0.0.1");
    expected.put("REMOTE_USER", "");
    expected.put("REQUEST_METHOD", "GET");
    expected.put("SCRIPT_NAME", "/env");
    expected.put("PATH_INFO", "/a b/c/d/é");
    expected.put("X_RAW_PATH_INFO", "/a%20b/c%2Fd/%C3%A9");
    expected.put("PATH_TRANSLATED", "/a b/c/d/é");
    expected.put("SERVER_NAME", "example.com");
    expected.put("SERVER_PORT", "80"); // a Host without a port: the scheme's default
    expected.put("SERVER_PROTOCOL", "HTTP/1.1");
    expected.put("SERVER_SOFTWARE", "WAGI/1");
    expected.put("X_MATCHED_ROUTE", "/env/...");
    expected.put("X_FULL_URL", "http://example.com:80/env/a%20b/c%2Fd/%C3%A9");
    expected.put("HTTP_HOST", "example.com");
    // Exactly these: in particular no HTTP_CONTENT_LENGTH, as the client sent none.
    assertThat(dump.env()).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(dump.argv()).containsExactly("/env/a%20b/c%2Fd/%C3%A9");
  }

  @Test
  void wildcardBaseAndTrailingSlash() throws Exception {
    var base = TestServer.env(server.get("/env"));
    assertThat(base.env())
        .containsEntry("SCRIPT_NAME", "/env")
        .containsEntry("PATH_INFO", "")
        .containsEntry("X_RAW_PATH_INFO", "")
        .containsEntry("X_MATCHED_ROUTE", "/env/...");
    var slash = TestServer.env(server.get("/env/"));
    assertThat(slash.env()).containsEntry("PATH_INFO", "/").containsEntry("SCRIPT_NAME", "/env");
  }

  /** Through java.net.http: the Host it sends (address and port) and the client address. */
  @Test
  void realClientHostAndAddress() throws Exception {
    var response = server.get("/env/x/y?q=1&r");
    assertThat(response.statusCode()).isEqualTo(200);
    var env = TestServer.env(response).env();
    assertThat(env)
        .containsEntry("SERVER_NAME", "127.0.0.1")
        .containsEntry("SERVER_PORT", Integer.toString(server.port()))
        .containsEntry("HTTP_HOST", "127.0.0.1:" + server.port())
        .containsEntry("REMOTE_ADDR", "127.0.0.1")
        .containsEntry("REMOTE_HOST", "127.0.0.1")
        .containsEntry("QUERY_STRING", "q=1&r")
        .containsEntry("PATH_INFO", "/x/y")
        .containsEntry("X_FULL_URL", "http://127.0.0.1:" + server.port() + "/env/x/y?q=1&r");
  }

  @Test
  void contentTypeComesFromTheRequestHeader() throws Exception {
    var response =
        server.send(
            HttpRequest.newBuilder(server.uri("/env/ct"))
                .version(HttpClient.Version.HTTP_1_1)
                .header("Content-Type", "text/csv; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString("a,b\n1,2\n")));
    var dump = TestServer.env(response);
    assertThat(dump.env())
        .containsEntry("CONTENT_TYPE", "text/csv; charset=utf-8")
        .containsEntry("CONTENT_LENGTH", "8")
        .containsEntry("REQUEST_METHOD", "PUT");
    assertThat(dump.bodyText()).isEqualTo("a,b\n1,2\n");
  }

  @Test
  void authorizationIsNotPassed() throws Exception {
    var response =
        server.send(
            HttpRequest.newBuilder(server.uri("/env/auth"))
                .version(HttpClient.Version.HTTP_1_1)
                .header("Authorization", "Basic dXNlcjpzZWNyZXQ=")
                .header("X-Visible", "yes"));
    var env = TestServer.env(response).env();
    assertThat(env).containsEntry("HTTP_X_VISIBLE", "yes").doesNotContainKey("HTTP_AUTHORIZATION");
    assertThat(env.values()).noneMatch(v -> v.contains("dXNlcjpzZWNyZXQ="));
    assertThat(env).containsEntry("AUTH_TYPE", "").containsEntry("REMOTE_USER", "");
  }

  @Test
  void absoluteFormTargetNamesTheServer() throws Exception {
    try (var raw = server.raw()) {
      var response =
          raw.send("GET http://other.example:81/env/abs?q HTTP/1.1\r\nHost: h\r\n\r\n").read();
      var env = EnvDump.parse(response.body()).env();
      assertThat(env)
          .containsEntry("SERVER_NAME", "other.example")
          .containsEntry("SERVER_PORT", "81")
          .containsEntry("PATH_INFO", "/abs")
          .containsEntry("X_FULL_URL", "http://other.example:81/env/abs?q");
    }
  }

  @Test
  void twoHostHeadersAreABadRequest() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /env/x HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(400);
    }
  }

  @Test
  void connectionHeaderIsNotPassed() throws Exception {
    try (var raw = server.raw()) {
      var response =
          raw.send(
                  "GET /env/conn HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
                      + "Keep-Alive: timeout=5\r\n\r\n")
              .read();
      var env = EnvDump.parse(response.body()).env();
      assertThat(env)
          .doesNotContainKey("HTTP_CONNECTION")
          .containsEntry("HTTP_KEEP_ALIVE", "timeout=5");
    }
  }

  @Test
  void noHostHeaderUsesTheDefaultLocalhost3000() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /env/nohost?z HTTP/1.0\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      var env = EnvDump.parse(response.body()).env();
      assertThat(env)
          .containsEntry("SERVER_NAME", "localhost")
          .containsEntry("SERVER_PORT", "3000")
          .containsEntry("SERVER_PROTOCOL", "HTTP/1.0")
          .containsEntry("X_FULL_URL", "http://localhost:3000/env/nohost?z")
          .doesNotContainKey("HTTP_HOST");
    }
  }

  /** Without --trust-proxy no client may claim https (SchemeIT: with it). */
  @Test
  void forwardedProtoFromAnUntrustedClientIsIgnored() throws Exception {
    for (String claim : new String[] {"X-Forwarded-Proto: https", "Forwarded: proto=https"}) {
      try (var raw = server.raw()) {
        var response =
            raw.send("GET /env/secure?k=v HTTP/1.1\r\nHost: example.com\r\n" + claim + "\r\n\r\n")
                .read();
        var env = EnvDump.parse(response.body()).env();
        assertThat(env)
            .containsEntry("SERVER_PORT", "80")
            .containsEntry("X_FULL_URL", "http://example.com:80/env/secure?k=v")
            .doesNotContainKey("HTTPS");
      }
    }
  }

  /**
   * A client cannot pose as a proxy's X-Forwarded-User with X_Forwarded_User (both would be
   * HTTP_X_FORWARDED_USER), nor set HTTP_PROXY (httpoxy).
   */
  @Test
  void headerNamesWithUnderscoresAndProxyAreNotPassed() throws Exception {
    try (var raw = server.raw()) {
      var response =
          raw.send(
                  "GET /exact HTTP/1.1\r\nHost: example.com\r\nX_Forwarded_User: admin\r\n"
                      + "Proxy: http://evil.example:8080\r\nX-Real-Header: kept\r\n\r\n")
              .read();
      assertThat(EnvDump.parse(response.body()).env())
          .doesNotContainKey("HTTP_X_FORWARDED_USER")
          .doesNotContainKey("HTTP_PROXY")
          .containsEntry("HTTP_X_REAL_HEADER", "kept");
    }
    try (var raw = server.raw()) {
      var response =
          raw.send(
                  "GET /exact HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-User: proxy\r\n"
                      + "X_Forwarded_User: admin\r\n\r\n")
              .read();
      assertThat(EnvDump.parse(response.body()).env())
          .containsEntry("HTTP_X_FORWARDED_USER", "proxy");
    }
  }

  @Test
  void forwardedProtoHttpKeepsHttp() throws Exception {
    try (var raw = server.raw()) {
      var response =
          raw.send("GET /exact HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-Proto: http\r\n\r\n")
              .read();
      assertThat(EnvDump.parse(response.body()).env())
          .containsEntry("SERVER_PORT", "80")
          .containsEntry("X_FULL_URL", "http://example.com:80/exact");
    }
  }

  @Test
  void defaultArgvIsThePathThenEachQueryPiece() throws Exception {
    assertThat(TestServer.env(server.get("/env/p/q?a=1&b=2&c")).argv())
        .containsExactly("/env/p/q", "a=1", "b=2", "c");
    assertThat(TestServer.env(server.get("/env/p")).argv()).containsExactly("/env/p");
    assertThat(TestServer.env(server.get("/exact?only")).argv()).containsExactly("/exact", "only");
    // A present but empty query is one empty argument, as in WAGI; no query is none.
    // (java.net.http drops an empty query, so a raw request.)
    try (RawConnection raw = server.raw()) {
      var response = raw.send("GET /env/p? HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(EnvDump.parse(response.body()).argv()).containsExactly("/env/p", "");
    }
  }

  @Test
  void argvTemplateExpandsScriptNameAndArgs() throws Exception {
    assertThat(TestServer.env(server.get("/argv?a=1&b=2")).argv())
        .containsExactly("/argv", "--x", "a=1", "b=2");
    assertThat(TestServer.env(server.get("/argv")).argv()).containsExactly("/argv", "--x");
    // ${SCRIPT_NAME} is the request path, as in WAGI.
    assertThat(TestServer.env(server.get("/targv/deep/er?k=v")).argv())
        .containsExactly("/targv/deep/er", "--x", "k=v");
  }

  @Test
  void bodyWithNulHighBytesAndInvalidUtf8IsByteExact() throws Exception {
    byte[] body = new byte[256 + 8];
    for (int i = 0; i < 256; i++) {
      body[i] = (byte) i;
    }
    // invalid UTF-8: lone continuation, truncated sequence, overlong NUL, 0xFF 0xFE
    byte[] invalid = {
      (byte) 0x80, (byte) 0xC3, 0x28, (byte) 0xC0, (byte) 0x80, 0, (byte) 0xFF, (byte) 0xFE
    };
    System.arraycopy(invalid, 0, body, 256, invalid.length);
    var response = server.post("/echo", body);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/octet-stream");
    assertThat(response.body()).isEqualTo(body);

    var dump = TestServer.env(server.post("/env/bin", body));
    assertThat(dump.body()).isEqualTo(body);
    assertThat(dump.env()).containsEntry("CONTENT_LENGTH", Integer.toString(body.length));
  }

  @Test
  void oneMebibyteRandomBodyIsByteExact() throws Exception {
    byte[] body = new byte[1 << 20];
    new Random(42).nextBytes(body);
    var response = server.post("/echo", body);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).hasSize(body.length);
    assertThat(Arrays.equals(response.body(), body)).as("echoed body equals sent body").isTrue();
  }

  @Test
  void emptyBody() throws Exception {
    var response = server.post("/echo", new byte[0]);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void chunkedRequestBodyIsReassembled() throws Exception {
    try (var raw = server.raw()) {
      var response =
          raw.send(
                  "POST /env/chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
              .read();
      var dump = EnvDump.parse(response.body());
      assertThat(dump.bodyText()).isEqualTo("hello world");
      assertThat(dump.env()).containsEntry("CONTENT_LENGTH", "11");
    }
  }

  @Test
  void manyHeadersAllBecomeVariables() throws Exception {
    List<String> names = new ArrayList<>();
    StringBuilder request = new StringBuilder("GET /env/h HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 30; i++) {
      names.add("HTTP_X_H" + i);
      request.append("X-H").append(i).append(": value ").append(i).append("\r\n");
    }
    request.append("\r\n");
    try (var raw = server.raw()) {
      var env = EnvDump.parse(raw.send(request.toString()).read().body()).env();
      for (int i = 0; i < 30; i++) {
        assertThat(env).containsEntry(names.get(i), "value " + i);
      }
    }
  }

  @Test
  void headersTheClientDidNotSendAreNotPassed() throws Exception {
    try (var raw = server.raw()) {
      var env =
          EnvDump.parse(raw.send("GET /env/g HTTP/1.1\r\nHost: h\r\n\r\n").read().body()).env();
      assertThat(env).doesNotContainKey("HTTP_CONTENT_LENGTH");
    }
    try (var raw = server.raw()) {
      var env =
          EnvDump.parse(
                  raw.send(
                          "POST /env/c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                              + "2\r\nhi\r\n0\r\n\r\n")
                      .read()
                      .body())
              .env();
      assertThat(env)
          .containsEntry("HTTP_TRANSFER_ENCODING", "chunked")
          .doesNotContainKey("HTTP_CONTENT_LENGTH");
    }
  }

  @Test
  void http11WithoutHostUsesTheDefaultHost() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /env/nohost11 HTTP/1.1\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(EnvDump.parse(response.body()).env())
          .containsEntry("SERVER_NAME", "localhost")
          .containsEntry("SERVER_PORT", "3000")
          .containsEntry("X_FULL_URL", "http://localhost:3000/env/nohost11");
    }
  }

  @Test
  void utf8HeaderValueIsPassedByteForByte() throws Exception {
    try (var raw = server.raw()) {
      byte[] request =
          "GET /env/u HTTP/1.1\r\nHost: h\r\nX-Name: caf\u00e9\r\n\r\n"
              .getBytes(StandardCharsets.UTF_8);
      var response = raw.send(request).read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(EnvDump.parse(response.body()).env()).containsEntry("HTTP_X_NAME", "caf\u00e9");
    }
  }

  /** '=' is no header-name character; "HOST=evil" would otherwise become HTTP_HOST=evil=... */
  @Test
  void headerNameWithEqualsIsRejected() throws Exception {
    try (var raw = server.raw()) {
      var response = raw.send("GET /env/x HTTP/1.1\r\nHost: h\r\nHOST=evil: z\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(400);
      assertThat(response.text()).doesNotContain("evil");
    }
  }
}
