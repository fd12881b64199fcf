package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jwagi run MODULE ...} through the real command line (Main, in process, with its own stdin
 * and stdout): one request through the same CGI mapping and engine as the server, the response on
 * stdout, exit 0 for 2xx/3xx, 1 otherwise, 2 when the module cannot be loaded.
 */
@Timeout(60)
class RunIT {
  @TempDir Path dir;

  private record Result(int exitCode, byte[] stdout) {
    String text() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    /** The part after the response head (the first empty line). */
    byte[] body() {
      String text = new String(stdout, StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\n\n");
      assertThat(end).as("an empty line after the head in:\n%s", text()).isPositive();
      return Arrays.copyOfRange(stdout, end + 2, stdout.length);
    }
  }

  private Result run(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("run"));
    all.addAll(List.of(args));
    all.addAll(List.of("--module-cache", TestServer.MODULE_CACHE.toString()));
    int code;
    try {
      code =
          new Main(new ByteArrayInputStream(stdin), new PrintStream(out))
              .execute(all.toArray(String[]::new));
    } catch (Exception e) {
      throw new AssertionError("jwagi run threw", e);
    }
    return new Result(code, out.toByteArray());
  }

  private static String example(String name) {
    return Path.of("examples", "modules", name + ".wasm").toAbsolutePath().toString();
  }

  private static String wasm(String name) {
    return Path.of("src", "test", "resources", "wasm", name + ".wasm").toAbsolutePath().toString();
  }

  @Test
  void aRequestWithMethodPathHeadersBodyAndEnv() {
    Result result =
        run(
            "the body\n".getBytes(StandardCharsets.UTF_8),
            example("env"),
            "--method",
            "POST",
            "--path",
            "/a/b%20c?x=1&y",
            "--header",
            "X-Test: yes",
            "--header",
            "Content-Type: text/plain",
            "--body",
            "-",
            "-e",
            "GREETING=\"two words\"");
    assertThat(result.exitCode()).isZero();
    assertThat(result.text()).startsWith("HTTP/1.1 200 OK\nContent-Type: text/plain\n");
    EnvDump dump = EnvDump.parse(result.body());
    assertThat(dump.argv()).containsExactly("/a/b%20c", "x=1", "y");
    assertThat(dump.env())
        .containsEntry("REQUEST_METHOD", "POST")
        .containsEntry("SCRIPT_NAME", "")
        .containsEntry("PATH_INFO", "/a/b c")
        .containsEntry("QUERY_STRING", "x=1&y")
        .containsEntry("HTTP_X_TEST", "yes")
        .containsEntry("CONTENT_TYPE", "text/plain")
        .containsEntry("CONTENT_LENGTH", "9")
        .containsEntry("GREETING", "two words")
        .containsEntry("X_MATCHED_ROUTE", "/...");
    assertThat(dump.bodyText()).isEqualTo("the body\n");
  }

  @Test
  void aBodyFromAFile() throws Exception {
    Path body = Files.write(dir.resolve("body.bin"), new byte[] {0, 1, 2, (byte) 0xff});
    Result result = run(new byte[0], example("echo"), "--body", body.toString());
    assertThat(result.exitCode()).isZero();
    assertThat(result.body()).containsExactly(0, 1, 2, 0xff);
  }

  @Test
  void routesAndEntrypointsAsInModulesToml() {
    Result result =
        run(new byte[0], example("routes"), "--route", "/app/...", "--path", "/app/hello");
    assertThat(result.exitCode()).isZero();
    assertThat(new String(result.body(), StandardCharsets.UTF_8))
        .isEqualTo("hello from entrypoint\n");
  }

  /** --init as the init key; a module exporting wizer.initialize is pre-initialised without. */
  @Test
  void preinitialisedAsInModulesToml() {
    Result booted = run(new byte[0], wasm("boot"), "--init", "boot");
    assertThat(booted.exitCode()).isZero();
    assertThat(new String(booted.body(), StandardCharsets.UTF_8)).startsWith("booted by init: ");
    Result wizer = run(new byte[0], wasm("wizer"), "--path", "/p");
    assertThat(new String(wizer.body(), StandardCharsets.UTF_8))
        .isEqualTo("inits=1 hits=0 square=152399025 greeting=made at init path=/p\n");
    Result missing = run(new byte[0], wasm("boot"), "--init", "nothere");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.stdout()).isEmpty();
  }

  @Test
  void volumes() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("hello.txt"), "from the host");
    Result result =
        run(
            new byte[0],
            wasm("readfile"),
            "--volume",
            "/data=" + data,
            "--path",
            "/read?/data/hello.txt");
    assertThat(result.exitCode()).isZero();
    assertThat(new String(result.body(), StandardCharsets.UTF_8)).isEqualTo("OK:from the host");
  }

  @Test
  void aFailingModuleExitsWith1() {
    Result result = run(new byte[0], wasm("exit"), "--path", "/?7");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.text()).startsWith("HTTP/1.1 500 Internal Server Error\n");
  }

  @Test
  void aModuleThatCannotBeLoadedExitsWith2() {
    Result missing = run(new byte[0], dir.resolve("nothere.wasm").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.stdout()).isEmpty();
    Result outside = run(new byte[0], example("hello"), "--route", "/app/...", "--path", "/other");
    assertThat(outside.exitCode()).isEqualTo(2);
    Result badHeader = run(new byte[0], example("hello"), "--header", "no colon");
    assertThat(badHeader.exitCode()).isEqualTo(2);
    Result serverFlag = run(new byte[0], example("hello"), "-l", "127.0.0.1:0");
    assertThat(serverFlag.exitCode()).isEqualTo(2);
    assertThat(serverFlag.stdout()).isEmpty();
    Result observeFlag = run(new byte[0], example("hello"), "--access-log", "off");
    assertThat(observeFlag.exitCode()).isEqualTo(2);
    assertThat(observeFlag.stdout()).isEmpty();
  }
}
