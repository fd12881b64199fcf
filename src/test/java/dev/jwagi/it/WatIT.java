package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `.wat` modules are assembled at start-up by wabt's wat2wasm, run on jwagi's own engine. */
@Timeout(120)
class WatIT {
  @TempDir Path dir;

  private static String wat(String name) {
    return TestServer.tomlString(
        Path.of("src", "test", "resources", "wasm", name + ".wat").toAbsolutePath());
  }

  @Test
  void aTextModuleIsServed() throws Exception {
    try (var server = TestServer.start(dir, TestServer.module("/wat", wat("hello")))) {
      var response = server.get("/wat");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(response)).isEqualTo("hello from wat\n");
    }
  }

  /** max_table_elements per route, --max-table-elements (1000000) for the others. */
  @Test
  void tableGrowthStopsAtTheRoutesCap() throws Exception {
    String toml =
        TestServer.module("/capped", wat("tablegrow"), "max_table_elements = 100")
            + TestServer.module("/default", wat("tablegrow"));
    try (var server = TestServer.start(dir, toml)) {
      assertThat(TestServer.text(server.get("/capped"))).isEqualTo("YYNYN\n");
      assertThat(TestServer.text(server.get("/default"))).isEqualTo("YYYYN\n");
    }
  }

  @Test
  void invalidTextStopsStartUpWithWat2wasmsMessage() {
    assertThatThrownBy(() -> TestServer.start(dir, TestServer.module("/bad", wat("broken"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("modules.toml")
        .hasMessageContaining("route \"/bad\"")
        .hasMessageContaining("`module`")
        .hasMessageContaining("broken.wat")
        .hasMessageContaining("not valid WebAssembly text")
        .hasMessageContaining("type mismatch");
  }

  @Test
  void withTwoBadModulesTheFirstInFileOrderIsNamed() throws Exception {
    // Modules load in parallel; the slow one (assembled by wat2wasm) comes first in the file and
    // must still be the one named, as in a sequential start, though the garbage fails sooner.
    Path garbage = dir.resolve("garbage.wasm");
    java.nio.file.Files.write(garbage, new byte[] {1, 2, 3, 4});
    String toml =
        TestServer.module("/bad", wat("broken"))
            + "\n"
            + TestServer.module("/garbage", TestServer.tomlString(garbage));
    assertThatThrownBy(() -> TestServer.start(dir, toml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("#1")
        .hasMessageContaining("broken.wat")
        .hasMessageNotContaining("garbage.wasm");
  }
}
