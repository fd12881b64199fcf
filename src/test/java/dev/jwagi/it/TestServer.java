package dev.jwagi.it;

import dev.jwagi.Jwagi;
import dev.jwagi.Main;
import dev.jwagi.config.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real jwagi on an ephemeral loopback port, started from a modules.toml text and command-line
 * flags exactly as the {@code jwagi} command parses them, plus a real HTTP client.
 */
final class TestServer implements AutoCloseable {
  /** Shared across tests so each module compiles once per build. */
  static final Path MODULE_CACHE = Path.of("target", "test-module-cache").toAbsolutePath();

  private final Jwagi jwagi;
  private final Path logDir;
  private final HttpClient client = HttpClient.newHttpClient();

  private TestServer(Jwagi jwagi, Path logDir) {
    this.jwagi = jwagi;
    this.logDir = logDir;
  }

  /**
   * Writes {@code toml} to dir/modules.toml and starts jwagi on it with {@code flags} (plus -l on
   * an ephemeral port and the shared module cache, unless given, and --log-dir dir/logs).
   */
  static TestServer start(Path dir, String toml, String... flags) throws Exception {
    return startAt(dir, dir.resolve("modules.toml"), toml, flags);
  }

  /**
   * Like {@link #start}, but with the modules.toml at {@code configFile} (written from {@code
   * toml}) and {@code workingDir} as the working directory relative paths resolve against; logs go
   * to workingDir/logs.
   */
  static TestServer startAt(Path workingDir, Path configFile, String toml, String... flags)
      throws Exception {
    return startAt(workingDir, configFile, toml, Map.of(), flags);
  }

  /**
   * Like {@link #startAt(Path, Path, String, String...)}, with {@code processEnv} as the variables
   * jwagi reads from its own environment (e.g. registry credentials).
   */
  static TestServer startAt(
      Path workingDir,
      Path configFile,
      String toml,
      Map<String, String> processEnv,
      String... flags)
      throws Exception {
    Files.createDirectories(configFile.getParent());
    Files.writeString(configFile, toml);
    Path logDir = workingDir.resolve("logs");
    List<String> given = List.of(flags);
    List<String> args = new ArrayList<>(List.of("-c", configFile.toString()));
    if (!given.contains("-l")) {
      args.addAll(List.of("-l", "127.0.0.1:0"));
    }
    args.addAll(List.of("--log-dir", logDir.toString()));
    if (!given.contains("--module-cache")) {
      args.addAll(List.of("--module-cache", MODULE_CACHE.toString()));
    }
    args.addAll(given);
    var parsed = Main.parse(args.toArray(String[]::new), null);
    parsed.processEnv = processEnv;
    var loader = new ConfigLoader(workingDir);
    // Reloads load as start-up did, from the same flags (as the jwagi command does).
    return new TestServer(Jwagi.start(loader.load(parsed), () -> loader.load(parsed)), logDir);
  }

  /**
   * A {@code [[module]]} table: the route, the module (a quoted TOML string, e.g. from {@link
   * #wasm}) and any further key lines.
   */
  static String module(String route, String module, String... keyLines) {
    return "\n[[module]]\nroute = \""
        + route
        + "\"\nmodule = "
        + module
        + "\n"
        + String.join("\n", keyLines)
        + "\n";
  }

  /** A test module's absolute path (src/test/resources/wasm/NAME.wasm), quoted for TOML. */
  static String wasm(String name) {
    return tomlString(Path.of("src", "test", "resources", "wasm", name + ".wasm").toAbsolutePath());
  }

  /** A test module in text form (src/test/resources/wasm/NAME.wat), quoted for TOML. */
  static String wat(String name) {
    return tomlString(Path.of("src", "test", "resources", "wasm", name + ".wat").toAbsolutePath());
  }

  /** An example module's absolute path (examples/modules/NAME.wasm), quoted for TOML. */
  static String example(String name) {
    return tomlString(Path.of("examples", "modules", name + ".wasm").toAbsolutePath());
  }

  static String tomlString(Path path) {
    return "\"" + path.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  int port() {
    return jwagi.port();
  }

  Path logDir() {
    return logDir;
  }

  /** The server itself (its routing table, its reloader). */
  Jwagi jwagi() {
    return jwagi;
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
  }

  HttpResponse<byte[]> get(String pathAndQuery) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(pathAndQuery)));
  }

  HttpResponse<byte[]> post(String pathAndQuery, byte[] body)
      throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(uri(pathAndQuery))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The response as soon as its head is there; its body streams. */
  java.util.concurrent.CompletableFuture<HttpResponse<java.io.InputStream>> sendAsync(
      HttpRequest.Builder request, boolean streaming) {
    return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> sendAsync(
      HttpRequest.Builder request) {
    return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A plain socket to the server, for requests java.net.http cannot send. */
  RawConnection raw() throws IOException {
    return new RawConnection(port());
  }

  /** The response of examples/modules/env.wasm, parsed. */
  static EnvDump env(HttpResponse<byte[]> response) {
    return EnvDump.parse(response.body());
  }

  static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    jwagi.close();
  }

  /**
   * Polls {@code condition} until it holds, for what the server does in the background (a reload, a
   * guest starting); fails naming {@code what} after a minute, room for a loaded machine.
   */
  static void await(String what, java.util.concurrent.Callable<Boolean> condition)
      throws Exception {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still not so after 60 s: " + what);
      }
      Thread.sleep(10);
    }
  }

  /** Closes each resource that was opened (null: its @BeforeAll failed before getting there). */
  static void closeAll(AutoCloseable... resources) throws Exception {
    for (AutoCloseable resource : resources) {
      if (resource != null) {
        resource.close();
      }
    }
  }
}
