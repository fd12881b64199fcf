package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: clients that send the whole body before they read the response (Python's http.client,
 * Java's HttpURLConnection with fixed-length streaming, ab -p): the server reads every body on,
 * spooled to disk beyond a small window, so a guest that writes while it reads (echo) never waits
 * for such a client; an early answer (413, 503) reaches it as a response, not a reset; and the
 * spool is empty once the requests are over.
 */
@Timeout(120)
class SendBeforeReadIT {
  @TempDir static Path dir;
  static TestServer server;

  /** --max-spool 1MiB: a body the guest does not read fills it. */
  static TestServer smallSpool;

  static Path spoolDir;

  @BeforeAll
  static void start() throws Exception {
    spoolDir = Files.createDirectories(dir.resolve("spool"));
    // A crashed server's leftover: cleared at start-up.
    Files.writeString(spoolDir.resolve("jwagi-body-123.spool"), "left by a crash");
    server =
        TestServer.start(
            Files.createDirectories(dir.resolve("main")),
            TestServer.module("/echo", TestServer.example("echo"), "max_body = \"100MiB\"")
                + TestServer.module("/small", TestServer.example("echo"), "max_body = \"1KiB\"")
                + TestServer.module("/hello", TestServer.example("hello")),
            "--spool-dir",
            spoolDir.toString(),
            "--max-output",
            "100MiB");
    smallSpool =
        TestServer.start(
            Files.createDirectories(dir.resolve("small")),
            TestServer.module("/nap", TestServer.wasm("nap"), "max_body = \"100MiB\""),
            "--spool-dir",
            spoolDir.toString(),
            "--max-spool",
            "1MiB");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server, smallSpool);
  }

  private static byte[] body(int size) {
    byte[] body = new byte[size];
    for (int i = 0; i < size; i++) {
      body[i] = (byte) (i ^ (i >>> 9));
    }
    return body;
  }

  /** A POST as HttpURLConnection sends it with fixed-length streaming: all of it, then read. */
  private static HttpURLConnection post(TestServer to, String path, byte[] body) throws Exception {
    var connection = (HttpURLConnection) new URL(to.uri(path).toString()).openConnection();
    connection.setRequestMethod("POST");
    connection.setDoOutput(true);
    connection.setFixedLengthStreamingMode(body.length);
    connection.setReadTimeout(60_000);
    try (OutputStream out = connection.getOutputStream()) {
      out.write(body);
    }
    return connection;
  }

  private static byte[] responseBody(HttpURLConnection connection) throws Exception {
    InputStream in =
        connection.getResponseCode() < 400
            ? connection.getInputStream()
            : connection.getErrorStream();
    try (in) {
      return in.readAllBytes();
    }
  }

  @Test
  void nineMegabytesComeBackByteForByteToAClientThatSendsFirst() throws Exception {
    byte[] upload = body(9_000_000);
    HttpURLConnection connection = post(server, "/echo", upload);
    assertThat(connection.getResponseCode()).isEqualTo(200);
    assertThat(responseBody(connection)).isEqualTo(upload);
    assertSpoolEmpty(server);
  }

  @Test
  void aPlainSocketSendsTwoUploadsOnOneConnectionBeforeReadingEach() throws Exception {
    byte[] upload = body(5_000_000);
    byte[] head =
        ("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: " + upload.length + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    try (var raw = server.raw().readTimeout(60_000)) {
      for (int i = 0; i < 2; i++) {
        raw.send(head).send(upload);
        var response = raw.read();
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(upload);
      }
    }
    assertSpoolEmpty(server);
  }

  /** Without Expect: 100-continue the body comes anyway; the 413 is read, not a reset. */
  @Test
  void a413ReachesAClientThatSendsItsWholeBodyFirst() throws Exception {
    HttpURLConnection connection = post(server, "/small", body(4 << 20));
    assertThat(connection.getResponseCode()).isEqualTo(413);
    assertThat(new String(responseBody(connection), StandardCharsets.UTF_8))
        .isEqualTo("Payload Too Large: this route accepts at most 1024 bytes\n");
  }

  @Test
  void aFullSpoolIs503WithRetryAfterAfterAShortWait() throws Exception {
    // The guest naps 5 s before it would read: the body fills the window and the 1 MiB spool.
    HttpURLConnection connection = post(smallSpool, "/nap?5000", body(8 << 20));
    assertThat(connection.getResponseCode()).isEqualTo(503);
    assertThat(connection.getHeaderField("Retry-After")).isEqualTo("1");
    assertThat(new String(responseBody(connection), StandardCharsets.UTF_8))
        .contains("no room to hold the request body");
    assertSpoolEmpty(smallSpool);
  }

  @Test
  void leftoversOfACrashAreGoneAtStartUp() {
    assertThat(spoolDir.resolve("jwagi-body-123.spool")).doesNotExist();
  }

  /**
   * Nothing of the disk budget is held (once the guest has returned: its stdin is closed just after
   * its response), and no spool file is left in the folder.
   */
  private static void assertSpoolEmpty(TestServer of) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    double used;
    do {
      var metrics = PrometheusText.parse(TestServer.text(of.get("/metrics")));
      used = metrics.value("jwagi_spool_used_bytes", Map.of());
    } while (used != 0 && System.nanoTime() < deadline);
    assertThat(used).isZero();
    try (var files = Files.list(spoolDir)) {
      assertThat(files.filter(f -> f.getFileName().toString().startsWith("jwagi-body-"))).isEmpty();
    }
  }
}
