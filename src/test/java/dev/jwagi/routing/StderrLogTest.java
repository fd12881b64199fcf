package dev.jwagi.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.config.RoutePattern;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A route's stderr file: rotated at its cap (one previous file kept), a quarter of it per run. */
class StderrLogTest {
  @TempDir Path dir;

  private static void run(StderrLog log, String stderr) throws Exception {
    try (OutputStream out = log.open()) {
      out.write(stderr.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void theFileRotatesAtItsCapKeepingOnePrevious() throws Exception {
    var log = new StderrLog(dir.resolve(StderrLog.fileName(RoutePattern.parse("/r"))), 16 * 1024);
    Path file = dir.resolve("r.stderr.log");
    Path previous = dir.resolve("r.stderr.log.1");
    String line = "x".repeat(3 * 1024 - 1) + "\n";
    for (int i = 0; i < 5; i++) {
      run(log, line); // 15 KiB: all in the one file
    }
    assertThat(Files.size(file)).isEqualTo(15 * 1024);
    assertThat(previous).doesNotExist();

    String second = "second file\n" + "z".repeat(2047) + "\n"; // 17 KiB in all: over the cap
    run(log, second);
    assertThat(Files.readString(file)).isEqualTo(second);
    assertThat(Files.size(previous)).isEqualTo(15 * 1024);

    for (int i = 0; i < 6; i++) {
      run(log, line);
    }
    assertThat(Files.readString(previous)).startsWith("second file\n");
    assertThat(Files.size(file)).isLessThanOrEqualTo(16 * 1024);
    try (var files = Files.list(dir)) {
      assertThat(files.count()).as("never more than the file and one previous").isEqualTo(2);
    }
  }

  @Test
  void oneRunAppendsAtMostAQuarterOfTheCap() throws Exception {
    var log = new StderrLog(dir.resolve(StderrLog.fileName(RoutePattern.parse("/r"))), 16 * 1024);
    try (OutputStream out = log.open()) {
      for (int i = 0; i < 100; i++) {
        out.write("y".repeat(999).concat("\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    String text = Files.readString(dir.resolve("r.stderr.log"));
    assertThat(text)
        .startsWith("y".repeat(999) + "\n")
        .endsWith("\n[jwagi: this run's stderr is cut here, at 4096 bytes]\n");
    assertThat(text.substring(0, text.indexOf('[')).chars().filter(c -> c == 'y').count())
        .isEqualTo(4096 - 4);
  }
}
