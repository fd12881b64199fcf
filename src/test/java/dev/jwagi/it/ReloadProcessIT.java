package dev.jwagi.it;

import static dev.jwagi.it.TestServer.example;
import static dev.jwagi.it.TestServer.module;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar reloads on SIGHUP, and with --watch when an --env-file changes. */
@Timeout(120)
class ReloadProcessIT {
  @TempDir Path dir;

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void sighupReloadsTheConfiguration() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(config, module("/hello", example("hello")));
    try (JwagiProcess jwagi = JwagiProcess.start(dir, List.of(), "-c", config.toString())) {
      assertThat(get(jwagi, "/added").statusCode()).isEqualTo(404);
      Files.writeString(
          config, module("/hello", example("hello")) + module("/added", example("hello")));
      Process kill =
          new ProcessBuilder("kill", "-HUP", Long.toString(jwagi.process.pid()))
              .inheritIO()
              .start();
      assertThat(kill.waitFor()).isZero();
      TestServer.await("the reload", () -> get(jwagi, "/added").statusCode() == 200);
      assertThat(get(jwagi, "/readyz").statusCode()).isEqualTo(200);
      assertThat(jwagi.output()).contains("reloading the configuration (SIGHUP)");
      jwagi.terminate();
      assertThat(jwagi.waitFor(30)).isZero();
    }
  }

  @Test
  void watchReloadsWhenAnEnvFileChanges() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(config, module("/env", example("env")));
    Path envFile = dir.resolve("env.txt");
    Files.writeString(envFile, "GREETING=hello\n");
    try (JwagiProcess jwagi =
        JwagiProcess.start(
            dir, List.of(), "-c", config.toString(), "--env-file", envFile.toString(), "--watch")) {
      assertThat(TestServer.env(get(jwagi, "/env")).env()).containsEntry("GREETING", "hello");
      Files.writeString(envFile, "GREETING=hello again\n");
      TestServer.await(
          "the reload",
          () -> "hello again".equals(TestServer.env(get(jwagi, "/env")).env().get("GREETING")));
      jwagi.terminate();
      assertThat(jwagi.waitFor(30)).isZero();
    }
  }

  private HttpResponse<byte[]> get(JwagiProcess jwagi, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jwagi.port + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
