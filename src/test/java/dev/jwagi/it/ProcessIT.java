package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as a user runs it: start-up output, exit codes, SIGTERM drain. */
@Timeout(120)
class ProcessIT {
  @TempDir Path dir;

  @Test
  void sigtermFinishesTheRequestInFlightAndExitsZero() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(
        config,
        "[[module]]\nroute = \"/sleep\"\nmax_concurrency = 1\nmodule = "
            + TestServer.wasm("sleep")
            + "\n");
    try (JwagiProcess jwagi = JwagiProcess.start(dir, List.of(), "-c", config.toString())) {
      sigtermFinishesTheRequestInFlight(jwagi);
    }
  }

  private static void sigtermFinishesTheRequestInFlight(JwagiProcess jwagi) throws Exception {
    int port = jwagi.port;
    assertThat(jwagi.output()).contains("route /sleep", "sleep.wasm");

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    // Terminate only once the slow guest is running: the route admits one guest at a time, so a
    // probe answered 503 proves the slow request holds the slot. The slow request goes over a
    // raw socket, so it is surely sent (not still connecting) when the probes start. A probe may
    // win the slot first and make the slow request the one answered 503: then send it again.
    String slow = "GET /sleep?1500 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    URI probe = URI.create("http://127.0.0.1:" + port + "/sleep?1");
    RawConnection inFlight = new RawConnection(port).send(slow);
    int probeStatus;
    while ((probeStatus =
            client
                .send(HttpRequest.newBuilder(probe).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        != 503) {
      if (inFlight.available()) {
        assertThat(inFlight.read().status()).isEqualTo(503);
        inFlight.close();
        inFlight = new RawConnection(port).send(slow);
      }
    }
    assertThat(probeStatus).isEqualTo(503);
    // SIGTERM, as Knative sends it (through the handle: Process.destroy() would also close our
    // end of the server's output).
    jwagi.terminate();

    try (RawConnection connection = inFlight) {
      var response = connection.read();
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.text()).isEqualTo("slept\n");
    }
    assertThat(jwagi.waitFor(30)).isZero();
    assertThat(jwagi.output()).contains("stopping: finishing requests in flight", "stopped");
  }

  /**
   * Netty's buffer allocators emit JFR events unless told not to, and the first event initialises
   * JFR (~60 ms of the first request on JDK 17). jwagi turns them off before Netty reads the
   * setting; that it read it too early once went unnoticed for a session.
   */
  @Test
  void theFirstRequestDoesNotInitialiseJfr() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(
        config,
        "[[module]]\nroute = \"/hello\"\nmodule = \""
            + Path.of("examples", "modules", "hello.wasm").toAbsolutePath()
            + "\"\n");
    try (JwagiProcess jwagi =
        JwagiProcess.start(dir, List.of("-Xlog:class+load=info"), "-c", config.toString())) {
      HttpClient client = HttpClient.newHttpClient();
      URI hello = URI.create("http://127.0.0.1:" + jwagi.port + "/hello");
      var response =
          client.send(HttpRequest.newBuilder(hello).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.body()).isEqualTo("hello world\n");
      jwagi.terminate();
      assertThat(jwagi.waitFor(30)).isZero();
      // The class-load log works and Netty did allocate buffers...
      assertThat(jwagi.output()).contains("io.netty.buffer.AdaptivePoolingAllocator");
      // ...without starting JFR's event machinery.
      assertThat(jwagi.output()).doesNotContain("jdk.jfr.internal.MetadataRepository");
    }
  }

  @Test
  void runPrintsTheResponseAloneOnStdoutAndExitsZero() throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            Path.of("target", "jwagi.jar").toAbsolutePath().toString(),
            "run",
            Path.of("examples", "modules", "hello.wasm").toString(),
            "--module-cache",
            TestServer.MODULE_CACHE.toString());
    Path stderr = dir.resolve("stderr.txt");
    Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("stderr: %s", Files.readString(stderr)).isZero();
    assertThat(stdout)
        .isEqualTo(
            "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 12\n\nhello world\n");
  }

  @Test
  void aBadConfigExitsNonZeroNamingFileRouteAndKey() throws Exception {
    Path config = dir.resolve("bad.toml");
    Files.writeString(config, "[[module]]\nroute = \"/x\"\nmodule = \"missing.wasm\"\n");
    Process process =
        JwagiProcess.command(dir, List.of(), "-c", config.toString(), "-l", "127.0.0.1:0").start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output).contains(config.toString(), "route \"/x\"", "`module`", "missing.wasm");
    assertThat(output).doesNotContain("Ready");
  }
}
