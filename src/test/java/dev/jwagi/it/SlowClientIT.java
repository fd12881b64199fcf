package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: slow clients cannot hold a connection forever. A request whose headers or body do not
 * arrive within --read-timeout gets 408 and the connection is closed; a keep-alive connection idle
 * for --idle-timeout is closed. The test waits for the server by blocking on the socket read
 * (RawConnection's read timeout is 10 s), never by sleeping.
 */
@Timeout(60)
class SlowClientIT {
  @TempDir static Path dir;

  /** --read-timeout 1s; the idle timeout long enough not to interfere. */
  static TestServer readTimeout;

  /** --idle-timeout 1s. */
  static TestServer idleTimeout;

  @BeforeAll
  static void start() throws Exception {
    String modules =
        TestServer.module("/raw", TestServer.wasm("raw"), "")
            + TestServer.module("/sleep", TestServer.wasm("sleep"), "")
            + TestServer.module("/hello", TestServer.example("hello"));
    readTimeout =
        TestServer.start(
            Files.createDirectories(dir.resolve("read")),
            modules,
            "--read-timeout",
            "1s",
            "--idle-timeout",
            "30s");
    idleTimeout =
        TestServer.start(
            Files.createDirectories(dir.resolve("idle")), modules, "--idle-timeout", "1s");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(readTimeout, idleTimeout);
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  @Test
  void partialHeadersAre408AndTheConnectionIsClosed() throws Exception {
    try (var raw = readTimeout.raw()) {
      long start = System.nanoTime();
      raw.send("GET /hello HTTP/1.1\r\nHost: h\r\nX-Slow: still typ"); // no end of headers
      var response = raw.read();
      long elapsed = millisSince(start);
      System.out.println("SlowClientIT: partial headers answered after " + elapsed + " ms");
      assertThat(response.status()).isEqualTo(408);
      assertThat(elapsed).isBetween(900L, 3000L);
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void partialBodyIs408AndTheConnectionIsClosed() throws Exception {
    try (var raw = readTimeout.raw()) {
      long start = System.nanoTime();
      raw.send("POST /raw HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
      var response = raw.read();
      long elapsed = millisSince(start);
      System.out.println("SlowClientIT: partial body answered after " + elapsed + " ms");
      assertThat(response.status()).isEqualTo(408);
      assertThat(elapsed).isBetween(900L, 3000L);
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  @Test
  void partialChunkedBodyIs408() throws Exception {
    try (var raw = readTimeout.raw()) {
      long start = System.nanoTime();
      raw.send("POST /raw HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n");
      var response = raw.read();
      assertThat(response.status()).isEqualTo(408);
      assertThat(millisSince(start)).isBetween(900L, 3000L);
      assertThat(raw.closedByServer()).isTrue();
    }
  }

  /** The read timeout is for reading the request: a guest that runs longer is not cut off. */
  @Test
  void aGuestRunningLongerThanTheReadTimeoutIsNotCutOff() throws Exception {
    try (var raw = readTimeout.raw()) {
      var response = raw.send("GET /sleep?1500 HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.text()).isEqualTo("slept\n");
      // and the connection is still usable
      assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read().text())
          .isEqualTo("hello world\n");
    }
  }

  /** A slow client holds up only itself: another connection is served meanwhile. */
  @Test
  void aSlowClientDoesNotHoldUpOthers() throws Exception {
    try (var slow = readTimeout.raw()) {
      slow.send("POST /raw HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab");
      try (var fine = readTimeout.raw()) {
        var response = fine.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
        assertThat(response.text()).isEqualTo("hello world\n");
      }
      assertThat(slow.read().status()).isEqualTo(408);
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosed() throws Exception {
    try (var raw = idleTimeout.raw()) {
      var response = raw.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      long start = System.nanoTime();
      assertThat(raw.closedByServer()).isTrue();
      long elapsed = millisSince(start);
      System.out.println("SlowClientIT: idle connection closed after " + elapsed + " ms");
      assertThat(elapsed).isBetween(900L, 3000L);
    }
  }

  @Test
  void aConnectionThatNeverSendsARequestIsClosed() throws Exception {
    try (var raw = idleTimeout.raw()) {
      long start = System.nanoTime();
      assertThat(raw.closedByServer()).isTrue();
      assertThat(millisSince(start)).isBetween(900L, 3000L);
    }
  }

  /** Idle means no request: a connection waiting for a guest that runs longer stays open. */
  @Test
  void aConnectionWaitingForAGuestIsNotIdle() throws Exception {
    try (var raw = idleTimeout.raw()) {
      var response = raw.send("GET /sleep?1500 HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.text()).isEqualTo("slept\n");
      assertThat(raw.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read().text())
          .isEqualTo("hello world\n");
    }
  }
}
