package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spin.toml (v2 and v1) read as Spin reads it, into the routes jwagi serves. */
class SpinManifestReaderTest {
  @TempDir Path dir;
  private final List<String> warnings = new ArrayList<>();

  private SpinApp read(String toml) throws Exception {
    Path file = dir.resolve("spin.toml");
    Files.writeString(file, toml);
    return SpinManifestReader.read(file, TomlTables.parse(file, "-c/--config"), warnings::add);
  }

  private void touch(String... paths) throws IOException {
    for (String p : paths) {
      Path file = dir.resolve(p);
      Files.createDirectories(file.getParent());
      Files.writeString(file, p);
    }
  }

  @Test
  void v2ComponentsByIdAndInlineWithSpinsWagiDefaults() throws Exception {
    touch("hello.wasm", "env.wasm");
    SpinApp app =
        read(
            """
            spin_manifest_version = 2
            [application]
            name = "app"
            [[trigger.http]]
            route = "/hello"
            component = "hello"
            executor = { type = "wagi" }
            [[trigger.http]]
            route = "/env/..."
            executor = { type = "wagi", argv = "env ${ARGS}", entrypoint = "serve" }
            [trigger.http.component]
            source = "env.wasm"
            environment = { GREETING = "hi" }
            [component.hello]
            source = "hello.wasm"
            allowed_outbound_hosts = ["http://localhost:8080"]
            """);
    assertThat(app.version()).isEqualTo(2);
    assertThat(app.routes()).hasSize(2);
    SpinApp.Route hello = app.routes().get(0);
    assertThat(hello.route().pattern().text()).isEqualTo("/hello");
    assertThat(hello.argv()).isEqualTo("${SCRIPT_NAME} ${ARGS}");
    assertThat(hello.entrypoint()).isEqualTo("_start");
    assertThat(hello.component().source())
        .isEqualTo(new SpinApp.Source.Local(dir.resolve("hello.wasm")));
    assertThat(hello.component().allowedHosts().test(URI.create("http://localhost:8080/x")))
        .isTrue();
    assertThat(hello.component().allowedHosts().test(URI.create("http://localhost/x"))).isFalse();
    SpinApp.Route env = app.routes().get(1);
    assertThat(env.argv()).isEqualTo("env ${ARGS}");
    assertThat(env.entrypoint()).isEqualTo("serve");
    assertThat(env.component().environment()).containsEntry("GREETING", "hi");
    assertThat(warnings).isEmpty();
  }

  @Test
  void v1WithBaseAndAllowedHttpHosts() throws Exception {
    touch("w.wasm");
    SpinApp app =
        read(
            """
            spin_version = "1"
            name = "v1"
            trigger = { type = "http", base = "/test" }
            [[component]]
            id = "waggy"
            source = "w.wasm"
            allowed_http_hosts = ["example.com:8080"]
            [component.trigger]
            route = "/waggy/..."
            executor = { type = "wagi" }
            """);
    assertThat(app.version()).isEqualTo(1);
    SpinApp.Route route = app.routes().get(0);
    assertThat(route.route().pattern().text()).isEqualTo("/test/waggy/...");
    assertThat(route.route().rawRoute()).isEqualTo("/waggy/...");
    assertThat(route.route().base()).isEqualTo("/test");
    assertThat(route.component().allowedHosts().test(URI.create("https://example.com:8080/")))
        .isTrue();
  }

  @Test
  void filesSelectAsSpinDoes() throws Exception {
    touch(
        "w.wasm",
        "static/index.html",
        "static/css/site.css",
        "images/a.jpg",
        "images/b.png",
        "images/sub/c.jpg",
        "content/x/y.md",
        "content/secret.md",
        "one.txt");
    SpinApp app =
        read(
            """
            spin_manifest_version = 2
            [application]
            name = "files"
            [[trigger.http]]
            route = "/..."
            component = "c"
            executor = { type = "wagi" }
            [component.c]
            source = "w.wasm"
            files = ["one.txt", "images/*.jpg", "content/**/*", { source = "static", destination = "/site" }]
            exclude_files = ["content/secret.*"]
            """);
    assertThat(app.routes().get(0).component().files())
        .containsOnlyKeys(
            "/one.txt",
            "/images/a.jpg",
            "/content/x/y.md",
            "/site/index.html",
            "/site/css/site.css")
        .containsEntry("/site/index.html", dir.resolve("static/index.html"));
  }

  @Test
  void aDirectoryNameMapsItsFilesAtTheSamePaths() throws Exception {
    touch("w.wasm", "static/a/b.txt");
    SpinApp app = read(manifest("files = [\"static\"]"));
    assertThat(app.routes().get(0).component().files()).containsOnlyKeys("/static/a/b.txt");
  }

  private static String manifest(String componentKeys) {
    return """
        spin_manifest_version = 2
        [application]
        name = "one"
        [[trigger.http]]
        route = "/x"
        component = "c"
        executor = { type = "wagi" }
        [component.c]
        source = "w.wasm"
        """
        + componentKeys
        + "\n";
  }

  @Test
  void whatAWagiModuleCannotUseFailsNamingFileTableAndKey() throws Exception {
    touch("w.wasm");
    String file = dir.resolve("spin.toml").toString();
    assertThatThrownBy(() -> read(manifest("").replace("executor = { type = \"wagi\" }\n", "")))
        .hasMessageStartingWith(file + ": [[trigger.http]] #1 (route \"/x\"): no `executor`")
        .hasMessageContaining("executor = { type = \"wagi\" }");
    assertThatThrownBy(() -> read(manifest("").replace("type = \"wagi\"", "type = \"spin\"")))
        .hasMessageContaining("key `executor`: type \"spin\"");
    assertThatThrownBy(
            () ->
                read(
                    manifest("")
                        .replace(
                            "source = \"w.wasm\"",
                            "source = { registry = \"r.io\", package = \"a:b\", version = \"1.0.0\" }")))
        .hasMessageStartingWith(file + ": [component.c]: key `source`")
        .hasMessageContaining("registry package");
    assertThatThrownBy(
            () -> read(manifest("") + "[[trigger.redis]]\nchannel = \"m\"\ncomponent = \"c\"\n"))
        .hasMessageContaining("[[trigger.redis]]");
    assertThatThrownBy(() -> read(manifest("allowed_outbound_hosts = [\"https://{{ host }}\"]")))
        .hasMessageStartingWith(file + ": [component.c]: key `allowed_outbound_hosts`")
        .hasMessageContaining("variable");
    assertThatThrownBy(() -> read(manifest("").replace("w.wasm", "missing.wasm")))
        .hasMessageContaining("key `source`: no such file");
    assertThatThrownBy(() -> read(manifest("files = [\"nope.txt\"]")))
        .hasMessageStartingWith(file + ": [component.c]: key `files`")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> read(manifest("files = [\"../outside/*\"]")))
        .hasMessageContaining("outside the application folder");
  }

  @Test
  void whatSpinWouldRunRegardlessIsWarnedAboutAndIgnored() throws Exception {
    touch("w.wasm");
    SpinApp app =
        read(
            manifest("key_value_stores = [\"default\"]\nsqlite_databases = [\"default\"]")
                + "[component.c.variables]\nmessage = \"hi\"\n"
                + "[[trigger.http]]\nroute = { private = true }\ncomponent = \"c\"\nexecutor = { type = \"wagi\" }\n");
    assertThat(app.routes()).hasSize(1);
    assertThat(warnings)
        .anyMatch(w -> w.contains("[component.c]: key `key_value_stores`: ignored"))
        .anyMatch(w -> w.contains("key `sqlite_databases`: ignored"))
        .anyMatch(w -> w.contains("key `variables`: ignored"))
        .anyMatch(w -> w.contains("private endpoint"));
  }

  @Test
  void aRouteWrittenTwiceGoesToTheLastAsInSpin() throws Exception {
    touch("a.wasm", "b.wasm");
    SpinApp app =
        read(
            """
            spin_manifest_version = 2
            [application]
            name = "dup"
            [[trigger.http]]
            route = "/foo"
            component = { source = "a.wasm" }
            executor = { type = "wagi" }
            [[trigger.http]]
            route = "/foo"
            component = { source = "b.wasm" }
            executor = { type = "wagi" }
            """);
    assertThat(app.routes())
        .singleElement()
        .extracting(r -> r.component().source())
        .isEqualTo(new SpinApp.Source.Local(dir.resolve("b.wasm")));
    assertThat(warnings).anyMatch(w -> w.contains("which wins"));
  }
}
