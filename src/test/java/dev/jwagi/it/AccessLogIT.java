package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 7: one access line per request (logger jwagi.access), and none with --access-log off. */
@Timeout(60)
class AccessLogIT {
  /** time, client, "request line", status, bytes out, route, bytes in, total and guest ms. */
  private static final Pattern LINE =
      Pattern.compile(
          "(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z) (\\S+) \"(\\S+) (\\S+) (\\S+)\""
              + " (\\d{3}) (\\d+) route=(\\S+) in=(\\d+) ms=(\\d+\\.\\d\\d) guest_ms=(\\d+\\.\\d\\d)");

  @TempDir static Path dir;

  static TestServer server;
  static TestServer off;
  static LogCapture access;

  @BeforeAll
  static void start() throws Exception {
    access = LogCapture.of("jwagi.access");
    String modules =
        TestServer.module("/hello", TestServer.example("hello"))
            + TestServer.module("/echo", TestServer.example("echo"))
            + TestServer.module("/sleep", TestServer.wasm("sleep"));
    server = TestServer.start(Files.createDirectories(dir.resolve("on")), modules);
    off =
        TestServer.start(
            Files.createDirectories(dir.resolve("off")), modules, "--access-log", "off");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(access, server, off);
  }

  /** The access line whose request target is {@code target}; waits for it (bounded). */
  private static Matcher lineFor(String target) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      List<Matcher> found =
          access.messages().stream()
              .map(LINE::matcher)
              .filter(m -> m.matches() && m.group(4).equals(target))
              .toList();
      assertThat(found).as("access lines for %s", target).hasSizeLessThanOrEqualTo(1);
      if (!found.isEmpty()) {
        return found.get(0);
      }
      assertThat(System.nanoTime()).as("an access line for %s", target).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void aGuestRequestGivesOneLineWithEveryField() throws Exception {
    assertThat(server.get("/sleep?50&line=1").statusCode()).isEqualTo(200);
    Matcher line = lineFor("/sleep?50&line=1");
    assertThat(line.group(2)).isEqualTo("127.0.0.1");
    assertThat(line.group(3)).isEqualTo("GET");
    assertThat(line.group(5)).isEqualTo("HTTP/1.1");
    assertThat(line.group(6)).isEqualTo("200");
    assertThat(line.group(7)).isEqualTo("6"); // "slept\n"
    assertThat(line.group(8)).isEqualTo("/sleep");
    assertThat(line.group(9)).isEqualTo("0");
    double total = Double.parseDouble(line.group(10));
    double guest = Double.parseDouble(line.group(11));
    assertThat(guest).isGreaterThanOrEqualTo(50).isLessThanOrEqualTo(total);
  }

  @Test
  void aPostCountsTheBytesInAndOut() throws Exception {
    byte[] body = new byte[1234];
    assertThat(server.post("/echo?line=2", body).statusCode()).isEqualTo(200);
    Matcher line = lineFor("/echo?line=2");
    assertThat(line.group(3)).isEqualTo("POST");
    assertThat(line.group(7)).isEqualTo("1234");
    assertThat(line.group(9)).isEqualTo("1234");
    assertThat(line.group(8)).isEqualTo("/echo");
  }

  @Test
  void aRequestWithNoRouteHasRouteDashAndNoGuestTime() throws Exception {
    assertThat(server.get("/nowhere?line=3").statusCode()).isEqualTo(404);
    Matcher line = lineFor("/nowhere?line=3");
    assertThat(line.group(6)).isEqualTo("404");
    assertThat(line.group(8)).isEqualTo("-");
    assertThat(line.group(11)).isEqualTo("0.00");
  }

  @Test
  void aHeadRequestSendsNoBodyBytes() throws Exception {
    var response =
        server.send(
            HttpRequest.newBuilder(server.uri("/hello?line=4"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(response.statusCode()).isEqualTo(200);
    Matcher line = lineFor("/hello?line=4");
    assertThat(line.group(3)).isEqualTo("HEAD");
    assertThat(line.group(7)).isEqualTo("0");
  }

  @Test
  void accessLogOffWritesNoLines() throws Exception {
    assertThat(off.get("/hello?line=off").statusCode()).isEqualTo(200);
    assertThat(off.get("/nowhere?line=off").statusCode()).isEqualTo(404);
    // The server with the access log on logs a later request: by then the other would have too.
    assertThat(server.get("/hello?line=after-off").statusCode()).isEqualTo(200);
    lineFor("/hello?line=after-off");
    assertThat(access.messages()).noneMatch(m -> m.contains("line=off"));
  }
}
