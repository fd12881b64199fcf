package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.jwagi.config.ConfigException;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code https://} module URLs (WAGI #135) from a local HTTPS server with a certificate made here
 * and trusted through {@code javax.net.ssl.trustStore}, as an operator would trust a private CA:
 * downloaded, checked against the required {@code digest}, cached so a restart needs no network.
 */
@Timeout(120)
class HttpsModuleIT {
  private static final String PASSWORD = "changeit";

  @TempDir static Path dir;
  static HttpsServer https;
  static HttpServer plain;
  static byte[] hello;
  static final AtomicInteger downloads = new AtomicInteger();
  static String trustStoreBefore;
  static String trustStorePasswordBefore;

  @BeforeAll
  static void start() throws Exception {
    Path keyStore = dir.resolve("server.p12");
    Path cert = dir.resolve("server.crt");
    Path trustStore = dir.resolve("trust.p12");
    keytool(
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-validity",
        "2",
        "-keystore",
        keyStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD,
        "-keypass",
        PASSWORD);
    keytool(
        "-exportcert",
        "-alias",
        "server",
        "-keystore",
        keyStore.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        cert.toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "server",
        "-file",
        cert.toString(),
        "-keystore",
        trustStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);

    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keyStore.toFile())) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, PASSWORD.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keyManagers.getKeyManagers(), null, null);

    hello = Files.readAllBytes(Path.of("examples", "modules", "hello.wasm"));
    https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    https.createContext(
        "/modules/hello.wasm",
        exchange -> {
          downloads.incrementAndGet();
          exchange.sendResponseHeaders(200, hello.length);
          exchange.getResponseBody().write(hello);
          exchange.close();
        });
    https.createContext(
        "/moved.wasm",
        exchange -> {
          exchange.getResponseHeaders().add("Location", "/modules/hello.wasm");
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    https.start();
    plain = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    plain.createContext(
        "/away.wasm",
        exchange -> {
          exchange.getResponseHeaders().add("Location", "http://modules.example.com/hello.wasm");
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    plain.start();

    // The process-wide default context is made once; make it now, from the JDK's own trust
    // store, so the property below cannot leak into later tests through it.
    SSLContext.getDefault();
    trustStoreBefore = System.getProperty("javax.net.ssl.trustStore");
    trustStorePasswordBefore = System.getProperty("javax.net.ssl.trustStorePassword");
    System.setProperty("javax.net.ssl.trustStore", trustStore.toString());
    System.setProperty("javax.net.ssl.trustStorePassword", PASSWORD);
  }

  @AfterAll
  static void stop() {
    restore("javax.net.ssl.trustStore", trustStoreBefore);
    restore("javax.net.ssl.trustStorePassword", trustStorePasswordBefore);
    if (https != null) {
      https.stop(0);
    }
    if (plain != null) {
      plain.stop(0);
    }
  }

  private static void restore(String property, String value) {
    if (value == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, value);
    }
  }

  private static void keytool(String... args) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IllegalStateException("keytool " + String.join(" ", args) + ":\n" + output);
    }
  }

  private static String url(String path) {
    return "https://127.0.0.1:" + https.getAddress().getPort() + path;
  }

  private static TestServer server(String name, String toml) throws Exception {
    Path work = dir.resolve(name);
    return TestServer.startAt(
        work,
        work.resolve("modules.toml"),
        toml,
        "--module-cache",
        dir.resolve("cache-" + name).toString());
  }

  @Test
  void downloadedVerifiedAndCachedSoARestartNeedsNoNetwork() throws Exception {
    String toml =
        TestServer.module(
            "/hello",
            "\"" + url("/modules/hello.wasm") + "\"",
            "digest = \"" + TestRegistry.digest(hello) + "\"");
    int before = downloads.get();
    try (var server = server("cached", toml)) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
    }
    assertThat(downloads.get() - before).isEqualTo(1);
    try (var server = server("cached", toml)) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
    }
    assertThat(downloads.get() - before).as("downloads after a restart").isEqualTo(1);
  }

  @Test
  void redirectsAreFollowed() throws Exception {
    String toml =
        TestServer.module(
            "/moved",
            "\"" + url("/moved.wasm") + "\"",
            "digest = \"" + TestRegistry.digest(hello) + "\"");
    try (var server = server("moved", toml)) {
      assertThat(TestServer.text(server.get("/moved"))).isEqualTo("hello world\n");
    }
  }

  @Test
  void aDigestMismatchNamesBothDigests() throws Exception {
    String wrong = TestRegistry.digest("something else".getBytes());
    String toml =
        TestServer.module(
            "/bad", "\"" + url("/modules/hello.wasm") + "\"", "digest = \"" + wrong + "\"");
    assertThatThrownBy(() -> server("mismatch", toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/bad\")")
        .hasMessageContaining(url("/modules/hello.wasm"))
        .hasMessageContaining(wrong)
        .hasMessageContaining(TestRegistry.digest(hello));
  }

  @Test
  void aDigestIsRequired() {
    String toml = TestServer.module("/nodigest", "\"" + url("/modules/hello.wasm") + "\"");
    assertThatThrownBy(() -> server("nodigest", toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/nodigest\")")
        .hasMessageContaining("`digest` is required");
  }

  @Test
  void aMalformedDigestIsRefused() {
    String toml =
        TestServer.module(
            "/short", "\"" + url("/modules/hello.wasm") + "\"", "digest = \"sha256:abc\"");
    assertThatThrownBy(() -> server("short", toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/short\")")
        .hasMessageContaining("key `digest`")
        .hasMessageContaining("64 lower-case hex digits");
  }

  @Test
  void plainHttpIsOnlyForLoopbackHosts() throws Exception {
    String toml =
        TestServer.module(
            "/plain",
            "\"http://modules.example.com/hello.wasm\"",
            "digest = \"" + TestRegistry.digest(hello) + "\"");
    assertThatThrownBy(() -> server("plain", toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/plain\")")
        .hasMessageContaining("plain http:// is allowed only for loopback hosts");
  }

  @Test
  void aFileModuleTakesNoDigest() {
    String toml =
        TestServer.module(
            "/file",
            TestServer.example("hello"),
            "digest = \"" + "sha256:" + "0".repeat(64) + "\"");
    assertThatThrownBy(() -> server("file", toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/file\")")
        .hasMessageContaining("`digest` is for https:// modules only");
  }

  /** A loopback plain-HTTP URL may not send jwagi to plain HTTP off this machine. */
  @Test
  void aPlainHttpRedirectOffLoopbackIsRefused() throws Exception {
    String toml =
        TestServer.module(
            "/away",
            "\"http://127.0.0.1:" + plain.getAddress().getPort() + "/away.wasm\"",
            "digest = \"" + TestRegistry.digest(hello) + "\"");
    assertThatThrownBy(() -> server("away", toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/away\")")
        .hasMessageContaining(
            "refused a redirect to http://modules.example.com/hello.wasm: plain HTTP is for"
                + " loopback hosts only");
  }

  /** A stored download is hashed again at every start: a changed file is not run for its name. */
  @Test
  void aChangedDownloadInTheCacheIsFetchedAgain() throws Exception {
    String toml =
        TestServer.module(
            "/hello",
            "\"" + url("/modules/hello.wasm") + "\"",
            "digest = \"" + TestRegistry.digest(hello) + "\"");
    try (var server = server("changed", toml)) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
    }
    Path blob =
        dir.resolve("cache-changed/sources/blobs/sha256")
            .resolve(TestRegistry.digest(hello).substring("sha256:".length()) + ".wasm");
    Files.write(blob, Files.readAllBytes(Path.of("examples", "modules", "env.wasm")));
    int before = downloads.get();
    try (var log = LogCapture.of("dev.jwagi.source.BlobStore");
        var server = server("changed", toml)) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      assertThat(log.warnings()).anyMatch(m -> m.contains(blob + " has digest"));
    }
    assertThat(downloads.get() - before).isEqualTo(1);
  }
}
