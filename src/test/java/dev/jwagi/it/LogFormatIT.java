package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar's stdout, as Knative collects it: with --log-format json every line, server and
 * access alike, is one JSON object, the access fields separate; by default server lines are text
 * and access lines have their own format.
 */
@Timeout(120)
class LogFormatIT {
  @TempDir Path dir;

  /**
   * Runs the jar on /hello and /exit, sends the requests one by one, then 40 at once (every fourth
   * to /exit, which logs a warning), stops it with SIGTERM: its stdout lines.
   */
  private List<String> run(List<String> targets, String... flags) throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(
        config,
        TestServer.module("/hello", TestServer.example("hello"))
            + TestServer.module("/exit", TestServer.wasm("exit")));
    try (JwagiProcess jwagi = JwagiProcess.startStdoutOnly(dir, withConfig(config, flags))) {
      return send(jwagi, targets);
    }
  }

  private static String[] withConfig(Path config, String... flags) {
    List<String> all = new ArrayList<>(List.of("-c", config.toString()));
    all.addAll(List.of(flags));
    return all.toArray(String[]::new);
  }

  /** Sends the requests, then stops jwagi with SIGTERM: every line it wrote to stdout. */
  private List<String> send(JwagiProcess jwagi, List<String> targets) throws Exception {
    int port = jwagi.port;
    HttpClient client = HttpClient.newHttpClient();
    for (String target : targets) {
      client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).build(),
          HttpResponse.BodyHandlers.discarding());
    }
    // Then many at once, some of them logging warnings on worker threads, so that lines from
    // several threads are written at the same time.
    List<java.util.concurrent.CompletableFuture<HttpResponse<Void>>> burst = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String target = i % 4 == 0 ? "/exit" : "/hello?burst=" + i;
      burst.add(
          client.sendAsync(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).build(),
              HttpResponse.BodyHandlers.discarding()));
    }
    for (var response : burst) {
      response.get(30, TimeUnit.SECONDS);
    }
    jwagi.terminate(); // SIGTERM
    assertThat(jwagi.waitFor(30)).isZero();
    return jwagi.lines();
  }

  @Test
  void jsonMakesEveryLineOneJsonObjectWithTheAccessFieldsSeparate() throws Exception {
    List<String> lines = run(List.of("/hello?a=1", "/nope"), "--log-format", "json");
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> objects = new ArrayList<>();
    for (String line : lines) {
      JsonNode node = json.readTree(line); // throws on anything that is not JSON
      assertThat(node.isObject()).as(line).isTrue();
      assertThat(node.get("time").asText()).as(line).matches("\\d{4}-.*T.*Z");
      assertThat(node.has("level") && node.has("logger") && node.has("message")).as(line).isTrue();
      objects.add(node);
    }
    assertThat(objects)
        .anyMatch(o -> o.get("message").asText().startsWith("Ready: serving on"))
        .anyMatch(o -> o.get("message").asText().equals("stopped"));
    List<JsonNode> access =
        objects.stream().filter(o -> o.get("logger").asText().equals("jwagi.access")).toList();
    assertThat(access).hasSize(42);
    // Besides the start-up warning of routes whose guests could outgrow the memory budget
    // (whether it appears depends on this machine's heap and cores), one per failed exit.
    assertThat(objects)
        .filteredOn(o -> o.get("level").asText().equals("WARN"))
        .filteredOn(o -> !o.get("message").asText().contains("exceeds the memory budget"))
        .hasSize(10)
        .allMatch(o -> o.get("message").asText().startsWith("route /exit: module exited"));
    JsonNode hello = access.get(0);
    assertThat(hello.get("client").asText()).isEqualTo("127.0.0.1");
    assertThat(hello.get("method").asText()).isEqualTo("GET");
    assertThat(hello.get("target").asText()).isEqualTo("/hello?a=1");
    assertThat(hello.get("protocol").asText()).isEqualTo("HTTP/1.1");
    assertThat(hello.get("route").asText()).isEqualTo("/hello");
    assertThat(hello.get("status").isInt()).isTrue();
    assertThat(hello.get("status").asInt()).isEqualTo(200);
    assertThat(hello.get("bytes_out").asLong()).isEqualTo("hello world\n".length());
    assertThat(hello.get("bytes_in").asLong()).isZero();
    assertThat(hello.get("duration_ms").isNumber()).isTrue();
    assertThat(hello.get("guest_ms").asDouble())
        .isPositive()
        .isLessThanOrEqualTo(hello.get("duration_ms").asDouble());
    assertThat(hello.get("complete").asBoolean()).isTrue();
    JsonNode nope = access.get(1);
    assertThat(nope.get("status").asInt()).isEqualTo(404);
    assertThat(nope.get("route").isNull()).isTrue();
  }

  @Test
  void textKeepsServerLinesAndWritesAccessLinesOnStdout() throws Exception {
    List<String> lines = run(List.of("/hello?b=2"));
    assertThat(lines)
        .anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Ready: serving on .*"))
        .anyMatch(
            l ->
                l.matches(
                    "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z 127\\.0\\.0\\.1 \"GET /hello\\?b=2 HTTP/1\\.1\""
                        + " 200 12 route=/hello in=0 ms=[0-9.]+ guest_ms=[0-9.]+"));
  }

  @Test
  void aBadLogFormatIsRefusedNamingTheFlag() throws Exception {
    Path config = dir.resolve("modules.toml");
    Files.writeString(config, TestServer.module("/hello", TestServer.example("hello")));
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Path.of("target", "jwagi.jar").toAbsolutePath().toString(),
                "-c",
                config.toString(),
                "--log-format",
                "xml")
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output).contains("--log-format \"xml\": expected text or json");
  }
}
