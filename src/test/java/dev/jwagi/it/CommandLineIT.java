package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar's command line: help and a wrong flag answer before anything slow is loaded (no
 * logging, Netty, Chicory or Jackson classes), with exit codes 0 and 2.
 */
@Timeout(120)
class CommandLineIT {
  @TempDir Path dir;

  private record Exit(int code, String output, List<String> loaded) {}

  /** Runs the jar with these flags, recording which classes the JVM loaded. */
  private Exit jar(String... flags) throws Exception {
    Path classes = dir.resolve("classes.txt");
    Files.deleteIfExists(classes);
    Process process =
        JwagiProcess.command(dir, List.of("-Xlog:class+load=info:file=" + classes), flags).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
    return new Exit(process.exitValue(), output, Files.readAllLines(classes));
  }

  private static void assertNothingSlowLoaded(Exit exit) {
    assertThat(exit.loaded())
        .as("classes loaded")
        .noneMatch(line -> line.contains(" ch.qos.logback."))
        .noneMatch(line -> line.contains(" org.slf4j."))
        .noneMatch(line -> line.contains(" io.netty."))
        .noneMatch(line -> line.contains(" com.dylibso."))
        .noneMatch(line -> line.contains(" com.fasterxml."))
        .noneMatch(line -> line.contains(" dev.jwagi.config.ConfigLoader"))
        .anyMatch(line -> line.contains(" dev.jwagi.config.CommandLine "));
  }

  @Test
  void helpExitsZeroWithoutLoadingLoggingOrTheServer() throws Exception {
    Exit help = jar("--help");
    assertThat(help.code()).as(help.output()).isZero();
    assertThat(help.output()).startsWith("Usage: jwagi ").contains("--max-concurrency=N");
    assertNothingSlowLoaded(help);

    Exit runHelp = jar("run", "-h");
    assertThat(runHelp.code()).as(runHelp.output()).isZero();
    assertThat(runHelp.output()).startsWith("Usage: jwagi run MODULE");
    assertNothingSlowLoaded(runHelp);
  }

  @Test
  void aWrongFlagExitsTwoNamingIt() throws Exception {
    Exit wrong = jar("--max-concurency", "3");
    assertThat(wrong.code()).isEqualTo(2);
    assertThat(wrong.output())
        .isEqualTo(
            "jwagi: unknown option --max-concurency (did you mean --max-concurrency?)\n"
                + "Try 'jwagi --help'\n");
    assertNothingSlowLoaded(wrong);
  }

  @Test
  void bindleFlagsReachTheConfigurationCheck() throws Exception {
    Exit bindle = jar("--bindle", "example.com/hello/1.0");
    assertThat(bindle.code()).isEqualTo(2);
    assertThat(bindle.output()).contains("Bindle is not supported by jwagi");
    // The class-load log does see logging when it is used (so the checks above can fail).
    assertThat(bindle.loaded()).anyMatch(line -> line.contains(" ch.qos.logback."));
  }
}
