package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bearer-token handshake of Docker Hub and GHCR, which Debian's registry cannot play without a
 * token server: a registry (a local HTTP server) that answers 401 with a Bearer challenge, a token
 * service that wants the credentials from the environment, and a blob redirected to a storage
 * server on another origin, which must not see the credentials.
 */
@Timeout(60)
class RegistryTokenIT {
  @TempDir Path dir;
  HttpServer registry;
  HttpServer storage;

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.stop(0);
    }
    if (storage != null) {
      storage.stop(0);
    }
  }

  private static HttpServer server() throws IOException {
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    if (type != null) {
      exchange.getResponseHeaders().add("Content-Type", type);
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
    exchange.close();
  }

  @Test
  void aBearerTokenIsFetchedWithTheCredentialsAndNeverSentToStorage() throws Exception {
    byte[] wasm = Files.readAllBytes(Path.of("examples", "modules", "hello.wasm"));
    String layer = TestRegistry.digest(wasm);
    String basic =
        "Basic "
            + Base64.getEncoder().encodeToString("jwagi:secret".getBytes(StandardCharsets.UTF_8));
    List<String> tokenQueries = new CopyOnWriteArrayList<>();
    List<String> storageAuthorization = new CopyOnWriteArrayList<>();

    storage = server();
    storage.createContext(
        "/",
        exchange -> {
          storageAuthorization.add(
              String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          send(exchange, 200, "application/octet-stream", wasm);
        });
    storage.start();
    registry = server();
    String self = "http://127.0.0.1:" + registry.getAddress().getPort();
    registry.createContext(
        "/token",
        exchange -> {
          String query = exchange.getRequestURI().getQuery(); // decoded
          tokenQueries.add(exchange.getRequestURI().getRawQuery());
          boolean ok = basic.equals(exchange.getRequestHeaders().getFirst("Authorization"));
          // A token good for the one repository in the scope, as real token services issue.
          String scope = query.substring(query.indexOf("scope=") + "scope=".length());
          send(
              exchange,
              ok ? 200 : 401,
              "application/json",
              ok
                  ? ("{\"token\":\"tok:" + scope + "\"}").getBytes(StandardCharsets.UTF_8)
                  : new byte[0]);
        });
    registry.createContext(
        "/v2/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          String repository = path.startsWith("/v2/app/other/") ? "app/other" : "app/hello";
          String scope = "repository:" + repository + ":pull";
          if (!("Bearer tok:" + scope)
              .equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            exchange
                .getResponseHeaders()
                .add(
                    "WWW-Authenticate",
                    "Bearer realm=\"" + self + "/token\",service=\"fake\",scope=\"" + scope + "\"");
            send(exchange, 401, null, new byte[0]);
            return;
          }
          if (path.equals("/v2/" + repository + "/manifests/1")) {
            String manifest =
                TestRegistry.manifest(
                    TestRegistry.CNCF_CONFIG,
                    "sha256:" + "0".repeat(64),
                    2,
                    TestRegistry.CNCF_LAYER,
                    layer,
                    wasm.length);
            send(
                exchange,
                200,
                TestRegistry.OCI_MANIFEST,
                manifest.getBytes(StandardCharsets.UTF_8));
          } else if (path.equals("/v2/" + repository + "/blobs/" + layer)) {
            exchange
                .getResponseHeaders()
                .add(
                    "Location",
                    "http://localhost:" + storage.getAddress().getPort() + "/blob?signed=1");
            send(exchange, 307, null, new byte[0]);
          } else {
            send(exchange, 404, null, new byte[0]);
          }
        });
    registry.start();

    String base = "\"oci:127.0.0.1:" + registry.getAddress().getPort();
    // Two repositories of one registry: each needs its own token. Different tags, so the second
    // is not a cache hit of the first.
    String toml =
        TestServer.module("/hello", base + "/app/hello:1\"")
            + TestServer.module("/other", base + "/app/other:1\"");
    Map<String, String> env =
        Map.of(
            "JWAGI_REGISTRY_USER",
            "jwagi",
            "JWAGI_REGISTRY_PASSWORD",
            "secret",
            "JWAGI_REGISTRY_HOST",
            "127.0.0.1:" + registry.getAddress().getPort());
    try (var server =
        TestServer.startAt(
            dir,
            dir.resolve("modules.toml"),
            toml,
            env,
            "--module-cache",
            dir.resolve("cache").toString())) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      assertThat(TestServer.text(server.get("/other"))).isEqualTo("hello world\n");
    }
    assertThat(tokenQueries)
        .containsExactly(
            "service=fake&scope=repository%3Aapp%2Fhello%3Apull",
            "service=fake&scope=repository%3Aapp%2Fother%3Apull");
    // The second module's layer is the first's (same digest): downloaded once, from the cache
    // after.
    assertThat(storageAuthorization).containsExactly("null");
  }

  /**
   * A registry whose challenge names a token realm on another host over plain HTTP (the review's
   * probe: 127.0.0.1 sending jwagi to localhost:other-port): the realm gets no password, and jwagi
   * asks it for an anonymous token (OciIT: logins per registry from a config.json).
   */
  @Test
  void aLoginGoesOnlyToItsRegistryAndNeverOverPlainHttpToAnotherHost() throws Exception {
    byte[] wasm = Files.readAllBytes(Path.of("examples", "modules", "hello.wasm"));
    String layer = TestRegistry.digest(wasm);
    List<String> realmAuthorization = new CopyOnWriteArrayList<>();
    storage = server(); // here: the token service, on another port, named "localhost"
    storage.createContext(
        "/token",
        exchange -> {
          realmAuthorization.add(
              String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          send(exchange, 200, "application/json", "{\"token\":\"anon\"}".getBytes());
        });
    storage.start();
    registry = server();
    String realm = "http://localhost:" + storage.getAddress().getPort() + "/token";
    registry.createContext(
        "/v2/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          if (!"Bearer anon".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            exchange
                .getResponseHeaders()
                .add("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"fake\"");
            send(exchange, 401, null, new byte[0]);
          } else if (path.equals("/v2/app/hello/manifests/1")) {
            String manifest =
                TestRegistry.manifest(
                    TestRegistry.CNCF_CONFIG,
                    "sha256:" + "0".repeat(64),
                    2,
                    TestRegistry.CNCF_LAYER,
                    layer,
                    wasm.length);
            send(exchange, 200, TestRegistry.OCI_MANIFEST, manifest.getBytes());
          } else if (path.equals("/v2/app/hello/blobs/" + layer)) {
            send(exchange, 200, "application/octet-stream", wasm);
          } else {
            send(exchange, 404, null, new byte[0]);
          }
        });
    registry.start();
    String host = "127.0.0.1:" + registry.getAddress().getPort();
    String toml = TestServer.module("/hello", "\"oci:" + host + "/app/hello:1\"");
    try (var log = LogCapture.of("dev.jwagi.source.RegistryAuth");
        var server =
            TestServer.startAt(
                dir,
                dir.resolve("modules.toml"),
                toml,
                Map.of(
                    "JWAGI_REGISTRY_USER", "jwagi",
                    "JWAGI_REGISTRY_PASSWORD", "secret",
                    "JWAGI_REGISTRY_HOST", host),
                "--module-cache",
                dir.resolve("cache").toString())) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      assertThat(realmAuthorization).containsExactly("null");
      assertThat(log.warnings()).anyMatch(m -> m.contains("not sent to its token realm " + realm));
    }
  }
}
