package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code oci:REF} modules against a real registry (docker-registry on loopback): WAGI's layout and
 * the CNCF Wasm artifact layout, by tag and by digest; cached by digest so a restart with the
 * registry down still serves; unknown tag, missing layer, bad digest and refused credentials fail
 * start-up naming the route and the reference.
 */
@Timeout(120)
class OciIT {
  /** htpasswd -nbB jwagi secret */
  private static final String HTPASSWD =
      "jwagi:$2y$05$LmCwjfDZX6JSdqkJGp66A.jKDdxNqmbTcg9VqGzkldm/rIbLWQswC";

  @TempDir static Path dir;
  static TestRegistry registry;
  static byte[] hello;
  static String helloManifest;

  @BeforeAll
  static void start() throws Exception {
    registry = TestRegistry.start(Files.createDirectories(dir.resolve("registry")), null);
    hello = Files.readAllBytes(Path.of("examples", "modules", "hello.wasm"));
    helloManifest =
        registry.pushModule(
            "wagi/hello", "1.0", hello, TestRegistry.WAGI_CONFIG, TestRegistry.WAGI_LAYER, null);
    registry.pushModule(
        "cncf/hello", "v1", hello, TestRegistry.CNCF_CONFIG, TestRegistry.CNCF_LAYER, null);
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(registry);
  }

  private String oci(String rest) {
    return "\"oci:" + registry.address() + "/" + rest + "\"";
  }

  private static Path cache(String name) {
    return dir.resolve("cache-" + name);
  }

  private static TestServer server(Path work, String toml, Path cache) throws Exception {
    return TestServer.startAt(
        work, work.resolve("modules.toml"), toml, "--module-cache", cache.toString());
  }

  @Test
  void servesWagiAndCncfLayoutsByTagAndByDigest() throws Exception {
    String toml =
        TestServer.module("/wagi", oci("wagi/hello:1.0"))
            + TestServer.module("/cncf", oci("cncf/hello:v1"))
            + TestServer.module("/pinned", oci("wagi/hello@" + helloManifest));
    try (var server = server(dir.resolve("layouts"), toml, cache("layouts"))) {
      for (String route : new String[] {"/wagi", "/cncf", "/pinned"}) {
        var response = server.get(route);
        assertThat(response.statusCode()).as(route).isEqualTo(200);
        assertThat(TestServer.text(response)).as(route).isEqualTo("hello world\n");
      }
    }
    String hex = TestRegistry.digest(hello).substring("sha256:".length());
    assertThat(cache("layouts").resolve("sources/blobs/sha256/" + hex + ".wasm"))
        .hasBinaryContent(hello);
  }

  @Test
  void aRestartWithTheRegistryDownUsesTheCacheAndWarns() throws Exception {
    Path work = dir.resolve("restart");
    Path cache = cache("restart");
    String toml;
    try (var own = TestRegistry.start(Files.createDirectories(work.resolve("registry")), null)) {
      own.pushModule(
          "app/hello", "stable", hello, TestRegistry.WAGI_CONFIG, TestRegistry.WAGI_LAYER, null);
      toml = TestServer.module("/hello", "\"oci:" + own.address() + "/app/hello:stable\"");
      try (var server = server(work, toml, cache)) {
        assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      }
    } // the registry is stopped here
    try (var log = LogCapture.of("dev.jwagi.source.ModuleFetcher");
        var server = server(work, toml, cache)) {
      assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
      assertThat(log.warnings())
          .anySatisfy(
              w ->
                  assertThat(w)
                      .contains("/hello")
                      .contains("unreachable")
                      .contains("using the module pulled earlier"));
    }
  }

  @Test
  void aRegistryThatWasNeverReachedFailsStartUp() throws Exception {
    Path work = dir.resolve("never");
    String address;
    try (var own = TestRegistry.start(Files.createDirectories(work.resolve("registry")), null)) {
      address = own.address();
    }
    String toml = TestServer.module("/gone", "\"oci:" + address + "/app/hello:1\"");
    assertThatThrownBy(() -> server(work, toml, cache("never")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("/gone")
        .hasMessageContaining("oci:" + address + "/app/hello:1")
        .hasMessageContaining("unreachable");
  }

  @Test
  void unknownTag() {
    String toml = TestServer.module("/nope", oci("wagi/hello:9.9"));
    assertThatThrownBy(() -> server(dir.resolve("unknown"), toml, cache("unknown")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/nope\")")
        .hasMessageContaining("oci:" + registry.address() + "/wagi/hello:9.9")
        .hasMessageContaining("unknown reference")
        .hasMessageContaining("\"9.9\"");
  }

  @Test
  void missingLayer() throws Exception {
    byte[] tar = "not a wasm layer".getBytes();
    String layer = registry.pushBlob("other/image", tar, null);
    String config = registry.pushBlob("other/image", "{}".getBytes(), null);
    registry.pushManifest(
        "other/image",
        "1",
        TestRegistry.manifest(
            "application/vnd.oci.image.config.v1+json",
            config,
            2,
            "application/vnd.oci.image.layer.v1.tar",
            layer,
            tar.length),
        null);
    String toml = TestServer.module("/image", oci("other/image:1"));
    assertThatThrownBy(() -> server(dir.resolve("layer"), toml, cache("layer")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/image\")")
        .hasMessageContaining("oci:" + registry.address() + "/other/image:1")
        .hasMessageContaining("missing layer")
        .hasMessageContaining("application/vnd.wasm.content.layer.v1+wasm")
        .hasMessageContaining("application/vnd.oci.image.layer.v1.tar");
  }

  @Test
  void aLayerBlobTheRegistryNoLongerHas() throws Exception {
    byte[] module = Files.readAllBytes(Path.of("examples", "modules", "echo.wasm"));
    registry.pushModule(
        "gone/echo", "1", module, TestRegistry.CNCF_CONFIG, TestRegistry.CNCF_LAYER, null);
    String layer = TestRegistry.digest(module);
    registry.deleteBlob("gone/echo", layer);
    String toml = TestServer.module("/gone", oci("gone/echo:1"));
    assertThatThrownBy(() -> server(dir.resolve("gone"), toml, cache("gone")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/gone\")")
        .hasMessageContaining("oci:" + registry.address() + "/gone/echo:1")
        .hasMessageContaining("the registry has no blob " + layer);
  }

  @Test
  void badDigest() throws Exception {
    byte[] module = Files.readAllBytes(Path.of("examples", "modules", "env.wasm"));
    registry.pushModule(
        "corrupt/env", "1", module, TestRegistry.WAGI_CONFIG, TestRegistry.WAGI_LAYER, null);
    String expected = TestRegistry.digest(module);
    registry.corruptBlob(expected);
    String toml = TestServer.module("/corrupt", oci("corrupt/env:1"));
    assertThatThrownBy(() -> server(dir.resolve("corrupt"), toml, cache("corrupt")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(route \"/corrupt\")")
        .hasMessageContaining("oci:" + registry.address() + "/corrupt/env:1")
        .hasMessageContaining("bad digest")
        .hasMessageContaining(expected);
    assertThat(cache("corrupt").resolve("sources/blobs/sha256")).isEmptyDirectory();
  }

  @Test
  void basicAuthFromTheEnvironment() throws Exception {
    Path work = dir.resolve("auth");
    try (var secured =
        TestRegistry.start(Files.createDirectories(work.resolve("registry")), HTPASSWD)) {
      String basic = "Basic " + Base64.getEncoder().encodeToString("jwagi:secret".getBytes());
      secured.pushModule(
          "private/hello", "1", hello, TestRegistry.WAGI_CONFIG, TestRegistry.WAGI_LAYER, basic);
      String toml =
          TestServer.module("/private", "\"oci:" + secured.address() + "/private/hello:1\"");
      assertThatThrownBy(() -> server(work, toml, cache("auth-none")))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("/private")
          .hasMessageContaining("401")
          .hasMessageContaining("--registry-auth");
      Map<String, String> env =
          Map.of(
              "JWAGI_REGISTRY_USER",
              "jwagi",
              "JWAGI_REGISTRY_PASSWORD",
              "secret",
              "JWAGI_REGISTRY_HOST",
              secured.address());
      try (var server =
          TestServer.startAt(
              work,
              work.resolve("modules.toml"),
              toml,
              env,
              "--module-cache",
              cache("auth").toString())) {
        assertThat(TestServer.text(server.get("/private"))).isEqualTo("hello world\n");
      }
      // The same login from a config.json (the format docker/podman login write), per registry.
      String auth = Base64.getEncoder().encodeToString("jwagi:secret".getBytes());
      Path authFile =
          Files.writeString(
              work.resolve("auth.json"),
              "{\"auths\": {\"" + secured.address() + "\": {\"auth\": \"" + auth + "\"}}}");
      try (var server =
          TestServer.startAt(
              work,
              work.resolve("modules.toml"),
              toml,
              Map.of(),
              "--registry-auth",
              authFile.toString(),
              "--module-cache",
              cache("auth-file").toString())) {
        assertThat(TestServer.text(server.get("/private"))).isEqualTo("hello world\n");
      }
      // A login for another registry is not offered to this one.
      Path otherFile =
          Files.writeString(
              work.resolve("other.json"),
              "{\"auths\": {\"registry.example.com\": {\"auth\": \"" + auth + "\"}}}");
      assertThatThrownBy(
              () ->
                  TestServer.startAt(
                      work,
                      work.resolve("modules.toml"),
                      toml,
                      Map.of(),
                      "--registry-auth",
                      otherFile.toString(),
                      "--module-cache",
                      cache("auth-other").toString()))
          .hasMessageContaining("401")
          .hasMessageContaining("no login for " + secured.address());
    }
  }
}
