package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM drains without losing a request (issue 7): through the packaged jar, 50 keep-alive
 * clients looping on a wasm route; and a guest outliving --drain-timeout.
 */
@Timeout(120)
class DrainIT {
  @TempDir Path dir;

  private static final String HELLO = "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n";

  @Test
  void sigtermUnderLoadAnswersEveryRequestAndExitsZero() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(config, TestServer.module("/hello", TestServer.example("hello")));
    try (var jwagi = JwagiProcess.start(dir, List.of(), "-c", config.toString())) {
      int clients = 50;
      AtomicInteger answered = new AtomicInteger();
      AtomicInteger answeredAfterSignal = new AtomicInteger();
      AtomicBoolean signalled = new AtomicBoolean();
      AtomicBoolean readyzSaw503 = new AtomicBoolean();
      List<String> errors = new CopyOnWriteArrayList<>();
      CountDownLatch allConnected = new CountDownLatch(clients + 1);
      ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
      List<Future<?>> loops = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        loops.add(
            pool.submit(
                () ->
                    loop(
                        jwagi.port,
                        HELLO,
                        allConnected,
                        response -> {
                          if (response.status() != 200
                              || !response.text().equals("hello world\n")) {
                            errors.add("status " + response.status() + ": " + response.text());
                          }
                          answered.incrementAndGet();
                          if (signalled.get()) {
                            answeredAfterSignal.incrementAndGet();
                          }
                        },
                        errors)));
      }
      // One more client keeps asking /readyz: 200 while serving, 503 once the drain begins.
      loops.add(
          pool.submit(
              () ->
                  loop(
                      jwagi.port,
                      "GET /readyz HTTP/1.1\r\nHost: h\r\n\r\n",
                      allConnected,
                      response -> {
                        if (response.status() == 503) {
                          readyzSaw503.set(true);
                        } else if (response.status() != 200) {
                          errors.add("readyz " + response.status());
                        }
                      },
                      errors)));
      assertThat(allConnected.await(30, TimeUnit.SECONDS)).isTrue();
      while (answered.get() < 500) {
        Thread.onSpinWait();
        assertThat(errors).isEmpty();
      }
      signalled.set(true);
      jwagi.terminate();
      for (Future<?> loop : loops) {
        loop.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      int exit = jwagi.waitFor(60);
      System.out.printf(
          "DrainIT: %d answered, %d after SIGTERM; errors %s%n",
          answered.get(), answeredAfterSignal.get(), errors);
      assertThat(errors)
          .as("requests without a response, or not 200; jwagi said:\n%s", jwagi.output())
          .isEmpty();
      assertThat(readyzSaw503).as("/readyz answered 503 during the drain").isTrue();
      assertThat(exit).as(jwagi.output()).isZero();
      assertThat(jwagi.output()).contains("stopping: finishing requests in flight", "stopped");
    }
  }

  /**
   * Sends {@code request} over and over on one keep-alive connection; on Connection: close,
   * connects again, until the server refuses new connections. A request sent and never answered is
   * an error.
   */
  private static Void loop(
      int port,
      String request,
      CountDownLatch connected,
      java.util.function.Consumer<RawConnection.Response> check,
      List<String> errors)
      throws IOException {
    boolean first = true;
    for (; ; ) {
      RawConnection connection;
      try {
        connection = new RawConnection(port);
      } catch (ConnectException e) {
        if (first) {
          errors.add("could not connect: " + e);
        }
        return null; // the server stopped accepting: done
      }
      if (first) {
        connected.countDown();
        first = false;
      }
      try (connection) {
        for (; ; ) {
          RawConnection.Response response;
          try {
            response = connection.send(request).read();
          } catch (EOFException | java.net.SocketException e) {
            // Sent on an open connection and never answered whole: the request was lost.
            errors.add(
                (connection.neverAnswered() ? "no response: " : "incomplete response: ") + e);
            break;
          }
          check.accept(response);
          if (response.header("connection").map("close"::equalsIgnoreCase).orElse(false)) {
            break;
          }
        }
      }
    }
  }

  @Test
  void aGuestOutlivingTheDrainTimeoutIsStoppedAndTheExitCodeSaysSo() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(
        config, TestServer.module("/sleep", TestServer.wasm("sleep"), "max_concurrency = 1"));
    try (var jwagi =
        JwagiProcess.start(dir, List.of(), "-c", config.toString(), "--drain-timeout", "1s")) {
      RawConnection inFlight = holdTheSlot(jwagi, 20000);
      long signalled = System.nanoTime();
      jwagi.terminate();
      int exit = jwagi.waitFor(30);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
      inFlight.close();
      assertThat(exit).as(jwagi.output()).isNotZero();
      assertThat(millis)
          .as("stopped at the 1 s drain timeout, not after the 20 s guest")
          .isLessThan(15_000);
      assertThat(jwagi.output())
          .contains("route /sleep: drain timeout (1000 ms): the guest still running is stopped");
    }
  }

  /**
   * Starts a /sleep guest and returns once it runs: /metrics counts one running guest. (Probing the
   * route itself for a 503 could not tell whose guest held the slot.)
   */
  private static RawConnection holdTheSlot(JwagiProcess jwagi, int millis) throws Exception {
    RawConnection inFlight =
        new RawConnection(jwagi.port).send("GET /sleep?" + millis + " HTTP/1.1\r\nHost: h\r\n\r\n");
    while (true) {
      try (var probe = new RawConnection(jwagi.port)) {
        String metrics = probe.send("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").read().text();
        if (metrics.lines().anyMatch(line -> line.equals("jwagi_guests_running 1.0"))) {
          return inFlight;
        }
      }
      assertThat(inFlight.available()).as("the slow request was answered before it ran").isFalse();
    }
  }

  @Test
  void aSecondSignalExitsAtOnce() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(
        config, TestServer.module("/sleep", TestServer.wasm("sleep"), "max_concurrency = 1"));
    try (var jwagi = JwagiProcess.start(dir, List.of(), "-c", config.toString());
        var inFlight = holdTheSlot(jwagi, 20000)) {
      jwagi.terminate();
      // The drain waits for the 20 s guest (the drain timeout is 30 s)...
      assertThat(jwagi.process.waitFor(1, TimeUnit.SECONDS)).isFalse();
      long second = System.nanoTime();
      jwagi.terminate();
      int exit = jwagi.waitFor(30);
      assertThat(exit).isNotZero();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - second)).isLessThan(10_000);
      assertThat(jwagi.output()).contains("second SIGTERM: exiting at once");
    }
  }
}
