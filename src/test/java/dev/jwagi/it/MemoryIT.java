package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bounded memory under load (issue 8), in a JVM with a 256 MiB heap (the packaged jar, run as a
 * separate process): every request gets a complete answer, never an OutOfMemoryError.
 */
@Timeout(300)
class MemoryIT {
  private static final List<String> HEAP_256M =
      List.of("-Xmx256m", "-Xlog:gc:file=%s", "-XX:+UseSerialGC");

  @TempDir Path dir;

  private JwagiProcess start(String toml, String... flags) throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(config, toml);
    List<String> jvm = new ArrayList<>();
    for (String option : HEAP_256M) {
      jvm.add(option.formatted(dir.resolve("gc.log")));
    }
    List<String> args = new ArrayList<>(List.of("-c", config.toString()));
    args.addAll(List.of(flags));
    return JwagiProcess.start(dir, jvm, args.toArray(String[]::new));
  }

  private static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .executor(java.util.concurrent.Executors.newFixedThreadPool(8))
        .build();
  }

  /**
   * Both kinds of client: those that send the whole body before they read (Python's http.client,
   * HttpURLConnection, ab -p: the echo module writes before it has read everything, so its input is
   * spooled while the client does not read) and those that read while they send (curl). Every
   * request is 200 with the exact bytes or 503 with Retry-After, none cut; the spool is empty
   * afterwards.
   */
  @ParameterizedTest(name = "read while sending: {0}")
  @ValueSource(booleans = {false, true})
  void sixtyUploadsAndTwentyLargeResponsesAllCompleteWithin256MiB(boolean readWhileSending)
      throws Exception {
    try (var jwagi =
        start(
            TestServer.module("/echo", TestServer.example("echo"))
                + TestServer.module("/bigout", TestServer.wasm("bigout"))
                + TestServer.module("/hello", TestServer.example("hello")))) {
      byte[] upload = new byte[9_000_000];
      for (int i = 0; i < upload.length; i++) {
        upload[i] = (byte) (i ^ (i >>> 9));
      }
      byte[] head =
          ("POST /echo HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: "
                  + upload.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1);
      byte[] echoRequest = new byte[head.length + upload.length];
      System.arraycopy(head, 0, echoRequest, 0, head.length);
      System.arraycopy(upload, 0, echoRequest, head.length, upload.length);
      int bigSize = 10 << 20;
      byte[] bigRequest =
          ("GET /bigout?" + bigSize + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1);

      ExecutorService threads = Executors.newFixedThreadPool(160);
      List<String> problems = new CopyOnWriteArrayList<>();
      AtomicInteger echoOk = new AtomicInteger();
      AtomicInteger bigOk = new AtomicInteger();
      AtomicInteger busy = new AtomicInteger();
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        boolean echo = i % 4 != 0; // 60 uploads, 20 large responses, interleaved
        all.add(
            threads.submit(
                () -> {
                  try (var raw = new RawConnection(jwagi.port).readTimeout(200_000)) {
                    Future<?> writer;
                    if (readWhileSending) {
                      writer =
                          threads.submit(
                              () -> {
                                raw.send(echo ? echoRequest : bigRequest);
                                return null;
                              });
                    } else {
                      raw.send(echo ? echoRequest : bigRequest);
                      writer = CompletableFuture.completedFuture(null);
                    }
                    var response = raw.read();
                    if (response.status() == 503 && response.header("retry-after").isPresent()) {
                      busy.incrementAndGet();
                    } else if (response.status() != 200) {
                      problems.add("status " + response.status() + ": " + response.text());
                    } else if (echo && !Arrays.equals(response.body(), upload)) {
                      problems.add("echo: wrong bytes (" + response.body().length + ")");
                    } else if (!echo && response.body().length != bigSize) {
                      problems.add("bigout: " + response.body().length + " bytes");
                    } else {
                      (echo ? echoOk : bigOk).incrementAndGet();
                    }
                    if (echo && response.status() == 200) {
                      writer.get();
                    }
                  } catch (Exception e) {
                    problems.add((echo ? "echo: " : "bigout: ") + e);
                  }
                  return null;
                }));
      }
      for (Future<?> request : all) {
        request.get(240, TimeUnit.SECONDS);
      }
      threads.shutdownNow();
      long rssPeak = rssPeakKiB(jwagi.process.pid());
      var after =
          new RawConnection(jwagi.port).send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
      // The last guests' stdin is closed just after their responses: polled briefly.
      double spoolUsed;
      long deadline = System.nanoTime() + 10_000_000_000L;
      do {
        spoolUsed =
            PrometheusText.parse(
                    new RawConnection(jwagi.port)
                        .send("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n")
                        .read()
                        .text())
                .value("jwagi_spool_used_bytes", java.util.Map.of());
      } while (spoolUsed != 0 && System.nanoTime() < deadline);
      System.out.printf(
          "MemoryIT uploads+downloads (read while sending: %s): %d echo ok, %d bigout ok, %d x"
              + " 503; heap peak %d MiB (GC log), RSS peak %d MiB%n",
          readWhileSending, echoOk.get(), bigOk.get(), busy.get(), heapPeakMiB(), rssPeak >> 10);
      assertThat(problems).as(warnings(jwagi)).isEmpty();
      assertThat(echoOk.get() + bigOk.get() + busy.get()).isEqualTo(80);
      assertThat(after.status()).isEqualTo(200);
      assertThat(spoolUsed).as("the spool is empty").isZero();
      jwagi.terminate();
      assertThat(jwagi.waitFor(60)).isZero();
      assertThat(jwagi.output()).doesNotContain("OutOfMemoryError");
    }
  }

  private static String warnings(JwagiProcess jwagi) {
    return jwagi
        .output()
        .lines()
        .filter(l -> l.contains("WARN") || l.contains("ERROR"))
        .limit(40)
        .reduce("server warnings:", (a, b) -> a + "\n" + b);
  }

  @Test
  void greedyGuestsGetTheirOwn500WhileAnotherRouteServes() throws Exception {
    try (var jwagi =
        start(
            TestServer.module("/bomb", TestServer.wasm("membomb"))
                + TestServer.module("/hello", TestServer.example("hello")))) {
      HttpClient client = client();
      List<CompletableFuture<HttpResponse<String>>> bombs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        bombs.add(
            client.sendAsync(
                HttpRequest.newBuilder(uri(jwagi, "/bomb")).build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      List<CompletableFuture<HttpResponse<String>>> hellos = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        hellos.add(
            client.sendAsync(
                HttpRequest.newBuilder(uri(jwagi, "/hello")).build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (var hello : hellos) {
        assertThat(hello.get(120, TimeUnit.SECONDS).statusCode())
            .as(warnings(jwagi))
            .isEqualTo(200);
      }
      for (var bomb : bombs) {
        assertThat(bomb.get(120, TimeUnit.SECONDS).statusCode()).isIn(500, 503);
      }
      System.out.printf(
          "MemoryIT greedy guests: heap peak %d MiB (GC log), RSS peak %d MiB%n",
          heapPeakMiB(), rssPeakKiB(jwagi.process.pid()) >> 10);
      jwagi.terminate();
      assertThat(jwagi.waitFor(60)).isZero();
      assertThat(jwagi.output())
          .doesNotContain("OutOfMemoryError")
          .contains("route /bomb: memory.grow refused: the memory budget");
    }
  }

  private static URI uri(JwagiProcess jwagi, String path) {
    return URI.create("http://127.0.0.1:" + jwagi.port + path);
  }

  /** The largest heap occupancy before a collection in the GC log, in MiB. */
  private long heapPeakMiB() throws IOException {
    Matcher m =
        Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)")
            .matcher(Files.readString(dir.resolve("gc.log")));
    long peak = 0;
    while (m.find()) {
      peak = Math.max(peak, Long.parseLong(m.group(1)));
    }
    return peak;
  }

  /** VmHWM of the process (Linux): its resident set's peak, in KiB. */
  private static long rssPeakKiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
