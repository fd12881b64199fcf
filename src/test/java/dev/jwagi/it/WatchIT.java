package dev.jwagi.it;

import static dev.jwagi.it.TestServer.example;
import static dev.jwagi.it.TestServer.module;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * --watch with real files: an edit of the modules.toml, a module file replaced, a broken edit (the
 * old configuration serves on) and a Kubernetes ConfigMap update (a new folder and a swap of the
 * {@code ..data} symlink, as the kubelet does it) are each seen and reloaded.
 */
@Timeout(180)
class WatchIT {
  @TempDir Path dir;

  @Test
  void editsOfTheConfigurationAndItsModulesAreReloaded() throws Exception {
    Path swap = dir.resolve("swap.wasm");
    Files.copy(Path.of("examples", "modules", "hello.wasm"), swap);
    String config = module("/swap", "\"swap.wasm\"");
    try (TestServer server = TestServer.start(dir, config)) {
      server.jwagi().watch(Set.of());
      Files.writeString(dir.resolve("modules.toml"), config + module("/added", example("hello")));
      TestServer.await("the reload", () -> server.get("/added").statusCode() == 200);

      Files.copy(
          Path.of("src", "test", "resources", "wasm", "nap.wasm"),
          swap,
          StandardCopyOption.REPLACE_EXISTING);
      TestServer.await("the reload", () -> TestServer.text(server.get("/swap")).equals("napped\n"));

      // A broken edit is counted and changes nothing; the fix after it is served.
      Files.writeString(dir.resolve("modules.toml"), config + "[[module]]\nroute = \"/x\"\n");
      TestServer.await("the reload", () -> reloads(server, "failed") == 1);
      assertThat(server.get("/added").statusCode()).isEqualTo(200);
      Files.writeString(dir.resolve("modules.toml"), config);
      TestServer.await("the reload", () -> server.get("/added").statusCode() == 404);
      assertThat(reloads(server, "ok")).isEqualTo(3);
    }
  }

  @Test
  void aConfigMapUpdateIsSeen() throws Exception {
    // The layout of a mounted ConfigMap: the keys are symlinks through ..data to a folder.
    Path mount = dir.resolve("config");
    Files.createDirectories(mount.resolve("..2026_01_01_00_00_00.1"));
    Files.createSymbolicLink(mount.resolve("..data"), Path.of("..2026_01_01_00_00_00.1"));
    Files.createSymbolicLink(mount.resolve("modules.toml"), Path.of("..data", "modules.toml"));
    try (TestServer server =
        TestServer.startAt(
            dir, mount.resolve("modules.toml"), module("/hello", example("hello")))) {
      server.jwagi().watch(Set.of());
      assertThat(server.get("/added").statusCode()).isEqualTo(404);

      // The kubelet's update: the new files in a new folder, ..data swapped to it by a rename,
      // then the old folder deleted. The symlink modules.toml itself never changes; the swap alone
      // must be seen (the old folder goes only after it).
      Path next = Files.createDirectories(mount.resolve("..2026_01_01_00_01_00.2"));
      Files.writeString(
          next.resolve("modules.toml"),
          module("/hello", example("hello")) + module("/added", example("hello")));
      Files.createSymbolicLink(mount.resolve("..data_tmp"), next.getFileName());
      Files.move(
          mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
      TestServer.await("the reload", () -> server.get("/added").statusCode() == 200);
      Files.delete(mount.resolve("..2026_01_01_00_00_00.1").resolve("modules.toml"));
      Files.delete(mount.resolve("..2026_01_01_00_00_00.1"));
      assertThat(reloads(server, "ok")).isEqualTo(1);
    }
  }

  private static double reloads(TestServer server, String result) throws Exception {
    return PrometheusText.parse(TestServer.text(server.get("/metrics")))
        .value("jwagi_config_reloads_total", Map.of("result", result));
  }
}
