package dev.jwagi.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged jar run as a user runs it (a separate JVM, so its heap can be sized), its output
 * collected line by line.
 */
final class JwagiProcess implements AutoCloseable {
  private static final Pattern READY =
      Pattern.compile("Ready: serving on http://127\\.0\\.0\\.1:(\\d+)");

  final Process process;
  final int port;
  private final List<String> output = new CopyOnWriteArrayList<>();

  private Thread reader;

  private JwagiProcess(Process process, int port, List<String> startOutput) {
    this.process = process;
    this.port = port;
    output.addAll(startOutput);
  }

  /**
   * The command line of the packaged jar with these JVM options and flags, plus the log dir and the
   * shared module cache; stdout and stderr are merged.
   */
  static ProcessBuilder command(Path dir, List<String> jvmOptions, String... flags) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(Path.of("target", "jwagi.jar").toAbsolutePath().toString());
    command.addAll(List.of(flags));
    command.addAll(List.of("--log-dir", dir.resolve("logs").toString()));
    command.addAll(List.of("--module-cache", TestServer.MODULE_CACHE.toString()));
    return new ProcessBuilder(command).redirectErrorStream(true);
  }

  /**
   * Starts the jar with these JVM options and flags on an ephemeral loopback port and waits until
   * it is ready; stdout and stderr are both collected.
   */
  static JwagiProcess start(Path dir, List<String> jvmOptions, String... flags) throws Exception {
    return start(command(dir, jvmOptions, withPort(flags)));
  }

  /** Like {@link #start}, collecting stdout only (stderr goes to dir/stderr.txt). */
  static JwagiProcess startStdoutOnly(Path dir, String... flags) throws Exception {
    return start(
        command(dir, List.of(), withPort(flags))
            .redirectErrorStream(false)
            .redirectError(dir.resolve("stderr.txt").toFile()));
  }

  private static String[] withPort(String... flags) {
    List<String> all = new ArrayList<>(List.of(flags));
    all.addAll(List.of("-l", "127.0.0.1:0"));
    return all.toArray(String[]::new);
  }

  private static JwagiProcess start(ProcessBuilder command) throws Exception {
    Process process = command.start();
    var out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    int port = -1;
    while (port < 0) {
      String line = out.readLine();
      if (line == null) {
        process.destroyForcibly();
        throw new IllegalStateException("jwagi did not start: " + String.join("\n", lines));
      }
      lines.add(line);
      Matcher ready = READY.matcher(line);
      if (ready.find()) {
        port = Integer.parseInt(ready.group(1));
      }
    }
    JwagiProcess jwagi = new JwagiProcess(process, port, lines);
    jwagi.reader =
        new Thread(
            () -> {
              try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  jwagi.output.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "jwagi-output");
    jwagi.reader.setDaemon(true);
    jwagi.reader.start();
    return jwagi;
  }

  /** SIGTERM, as Knative sends it. */
  void terminate() {
    process.toHandle().destroy();
  }

  /** Waits for the exit and the last output lines; returns the exit code. */
  int waitFor(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError("jwagi still running after " + seconds + " s:\n" + output());
    }
    reader.join(TimeUnit.SECONDS.toMillis(seconds)); // the output ends when the process does
    return process.exitValue();
  }

  String output() {
    return String.join("\n", output);
  }

  /** Every output line so far, in order. */
  List<String> lines() {
    return List.copyOf(output);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
