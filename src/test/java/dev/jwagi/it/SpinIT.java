package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.jwagi.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spin app of WAGI components (src/test/resources/spin/app: spin.toml in manifest version 2,
 * spin-v1.toml the same app in version 1, as Spin's docs write them), served with {@code -c
 * spin.toml}: every route answers as under Spin. The modules are jwagi's own test modules, copied
 * next to the manifests (a spin.toml's paths are relative to its folder); an upstream server on
 * loopback serves the { url, digest } module and answers the outbound requests.
 */
@Timeout(120)
class SpinIT {
  @TempDir static Path dir;
  static Path app;
  static HttpServer upstream;
  static ServerSocketChannel otherPort;
  static TestServer v2;
  static TestServer v1;

  @BeforeAll
  static void start() throws Exception {
    app = dir.resolve("app");
    copyTree(Path.of("src", "test", "resources", "spin", "app"), app);
    Path modules = Files.createDirectories(app.resolve("modules"));
    for (String example : List.of("hello", "env")) {
      Files.copy(
          Path.of("examples", "modules", example + ".wasm"), modules.resolve(example + ".wasm"));
    }
    for (String test : List.of("fsops", "outbound")) {
      Files.copy(
          Path.of("src", "test", "resources", "wasm", test + ".wasm"),
          modules.resolve(test + ".wasm"));
    }
    byte[] hello = Files.readAllBytes(Path.of("examples", "modules", "hello.wasm"));
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.createContext(
        "/remote/hello.wasm",
        exchange -> {
          exchange.sendResponseHeaders(200, hello.length);
          exchange.getResponseBody().write(hello);
          exchange.close();
        });
    upstream.createContext(
        "/data",
        exchange -> {
          byte[] body = "upstream says hi".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    upstream.start();
    otherPort = ServerSocketChannel.open();
    otherPort.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

    String digest =
        "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(hello));
    v2 = serve("spin.toml", digest);
    v1 = serve("spin-v1.toml", digest);
  }

  /** Fills in the ports and the digest, and starts jwagi on the manifest (working dir: dir). */
  private static TestServer serve(String manifest, String digest) throws Exception {
    Path file = app.resolve(manifest);
    String toml =
        Files.readString(file)
            .replace("${UPSTREAM}", String.valueOf(upstream.getAddress().getPort()))
            .replace("${REMOTE_URL}", upstreamUrl("/remote/hello.wasm"))
            .replace("${REMOTE_DIGEST}", digest);
    return TestServer.startAt(dir, file, toml, "--no-module-cache");
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : paths.toList()) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(v2, v1, otherPort);
    if (upstream != null) {
      upstream.stop(0);
    }
  }

  static String upstreamUrl(String path) {
    return "http://127.0.0.1:" + upstream.getAddress().getPort() + path;
  }

  private static String text(TestServer server, String pathAndQuery) throws Exception {
    var response = server.get(pathAndQuery);
    assertThat(response.statusCode()).as(pathAndQuery).isEqualTo(200);
    return TestServer.text(response);
  }

  @Test
  void exactRouteAnswersAndIgnoresATrailingSlashAsSpinDoes() throws Exception {
    assertThat(text(v2, "/hello")).isEqualTo("hello world\n");
    assertThat(text(v2, "/hello/")).isEqualTo("hello world\n");
    assertThat(v2.get("/").statusCode()).isEqualTo(404);
    assertThat(v2.get("/hellothere").statusCode()).isEqualTo(404);
  }

  @Test
  void wildcardRouteGetsSpinsVariablesEnvironmentAndArgv() throws Exception {
    var dump = TestServer.env(v2.get("/env/a/b?x=1&y=2"));
    assertThat(dump.argv()).containsExactly("/env/a/b", "x=1", "y=2");
    assertThat(dump.env())
        .containsEntry("SCRIPT_NAME", "/env")
        .containsEntry("PATH_INFO", "/a/b")
        .containsEntry("X_MATCHED_ROUTE", "/env/...")
        .containsEntry("X_RAW_COMPONENT_ROUTE", "/env/...")
        .containsEntry("X_COMPONENT_ROUTE", "/env")
        .containsEntry("X_BASE_PATH", "/")
        .containsEntry("QUERY_STRING", "x=1&y=2")
        .containsEntry("GREETING", "hello from spin.toml")
        .containsEntry("MODE", "v2")
        .containsEntry("X_FULL_URL", "http://127.0.0.1:" + v2.port() + "/env/a/b?x=1&y=2");
    assertThat(dump.env().get("X_CLIENT_ADDR")).matches("127\\.0\\.0\\.1:\\d+");
    // Spin splits "${SCRIPT_NAME} ${ARGS}" on each space: no query leaves an empty argument.
    assertThat(TestServer.env(v2.get("/env")).argv()).containsExactly("/env", "");
    assertThat(TestServer.env(v2.get("/env/")).env()).containsEntry("PATH_INFO", "/");
  }

  @Test
  void namedSegmentsAndACustomArgv() throws Exception {
    var dump = TestServer.env(v2.get("/users/42/profile?tab=1"));
    assertThat(dump.argv()).containsExactly("test", "/users/42/profile", "tab=1", "done");
    assertThat(dump.env())
        .containsEntry("X_PATH_MATCH_USERID", "42")
        .containsEntry("PATH_INFO", "/profile")
        .containsEntry("SCRIPT_NAME", "/users/:userid")
        .containsEntry("X_COMPONENT_ROUTE", "/users/:userid");
    assertThat(v2.get("/users").statusCode()).as("a :name needs its segment").isEqualTo(404);
  }

  @Test
  void inlineComponent() throws Exception {
    assertThat(TestServer.env(v2.get("/inline")).env()).containsEntry("INLINE", "yes");
  }

  @Test
  void filesAreMappedAsSpinMapsThemAndReadOnly() throws Exception {
    for (TestServer server : List.of(v2, v1)) {
      String route = server == v2 ? "/static/" : "/app/static/";
      assertThat(text(server, route + "?read&/index.html")).isEqualTo("OK:index page\n");
      assertThat(text(server, route + "?read&/css/site.css")).isEqualTo("OK:body{}\n");
      assertThat(text(server, route + "?read&/content/blog/post.md")).isEqualTo("OK:a post\n");
      assertThat(text(server, route + "?read&/content/drafts/wip.md"))
          .as("exclude_files")
          .startsWith("ERR:");
      assertThat(text(server, route + "?read&/spin.toml"))
          .as("only what files names")
          .startsWith("ERR:");
      for (String write :
          List.of(
              "write&/index.html",
              "append&/index.html",
              "create&/new.txt",
              "mkdir&/dir",
              "unlink&/index.html")) {
        assertThat(text(server, route + "?" + write)).as(write).startsWith("ERR:");
      }
      assertThat(text(server, route + "?read&/index.html")).isEqualTo("OK:index page\n");
    }
    assertThat(Files.readString(app.resolve("static/index.html"))).isEqualTo("index page\n");
  }

  @Test
  void allowedOutboundHostsRestrictHostPortAndScheme() throws Exception {
    int other = ((InetSocketAddress) otherPort.getLocalAddress()).getPort();
    int port = upstream.getAddress().getPort();
    assertThat(text(v2, "/fetch?get&" + upstreamUrl("/data")))
        .contains("req=0 status=200\n")
        .contains("upstream says hi");
    assertThat(text(v2, "/fetch?get&http://127.0.0.1:" + other + "/x")).contains("req=7 ");
    assertThat(text(v2, "/fetch?get&http://localhost:" + port + "/data")).contains("req=7 ");
    assertThat(text(v2, "/fetch?get&https://127.0.0.1:" + port + "/data")).contains("req=7 ");
    // v1's allowed_http_hosts "127.0.0.1:PORT": that port only (http and https, see
    // AllowedHostsTest: the upstream here speaks plain http).
    assertThat(text(v1, "/app/fetch?get&" + upstreamUrl("/data"))).contains("req=0 status=200\n");
    assertThat(text(v1, "/app/fetch?get&http://127.0.0.1:" + other + "/x")).contains("req=7 ");
  }

  @Test
  void aUrlSourceWithItsDigestIsDownloaded() throws Exception {
    assertThat(text(v2, "/remote")).isEqualTo("hello world\n");
    assertThat(text(v1, "/app/remote")).isEqualTo("hello world\n");
  }

  @Test
  void v1BaseIsPrependedAndReported() throws Exception {
    assertThat(text(v1, "/app/hello")).isEqualTo("hello world\n");
    assertThat(v1.get("/hello").statusCode()).isEqualTo(404);
    var dump = TestServer.env(v1.get("/app/env/a?x=1"));
    assertThat(dump.argv()).containsExactly("/app/env/a", "x=1");
    assertThat(dump.env())
        .containsEntry("SCRIPT_NAME", "/app/env")
        .containsEntry("PATH_INFO", "/a")
        .containsEntry("X_MATCHED_ROUTE", "/app/env/...")
        .containsEntry("X_RAW_COMPONENT_ROUTE", "/env/...")
        .containsEntry("X_COMPONENT_ROUTE", "/env")
        .containsEntry("X_BASE_PATH", "/app")
        .containsEntry("MODE", "v1");
  }

  /** jwagi run on a spin.toml: one component at its routes, as the server would run it. */
  @Test
  void jwagiRunTakesASpinTomlAndAComponent() throws Exception {
    String manifest = app.resolve("spin.toml").toString();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(run(out, manifest, "--component", "env", "--path", "/users/7/x?a=1")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("HTTP/1.1 200")
        .contains("argv[0]=test\n", "argv[2]=a=1\n", "X_PATH_MATCH_USERID=7\n")
        .contains("GREETING=hello from spin.toml\n");
    out.reset();
    assertThat(
            run(out, manifest, "--component", "fileserver", "--path", "/static/?read&/index.html"))
        .isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).endsWith("\n\nOK:index page\n");
    assertThat(run(out, manifest)).as("several components: --component is needed").isEqualTo(2);
  }

  private static int run(ByteArrayOutputStream out, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("run"));
    all.addAll(List.of(args));
    all.add("--no-module-cache");
    return new Main(new ByteArrayInputStream(new byte[0]), new PrintStream(out))
        .execute(all.toArray(String[]::new));
  }

  /** examples/spin.toml, the README's example, serves from the repository root. */
  @Test
  void theBundledExampleSpinTomlServes() throws Exception {
    Path example = Path.of("examples", "spin.toml").toAbsolutePath();
    try (TestServer examples = TestServer.startAt(dir, example, Files.readString(example))) {
      assertThat(text(examples, "/hello")).isEqualTo("hello world\n");
      var dump = TestServer.env(examples.get("/users/42/cart?x=1"));
      assertThat(dump.argv()).containsExactly("env", "x=1");
      assertThat(dump.env())
          .containsEntry("X_PATH_MATCH_USERID", "42")
          .containsEntry("PATH_INFO", "/cart")
          .containsEntry("GREETING", "hello from spin.toml");
      var echo = examples.post("/echo", "echoed".getBytes(StandardCharsets.UTF_8));
      assertThat(TestServer.text(echo)).isEqualTo("echoed");
    }
  }
}
