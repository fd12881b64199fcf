package dev.jwagi.reload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.Main;
import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What --watch watches of a spin.toml: the manifest, the module, and the files it maps. */
class WatchedFilesTest {
  @TempDir Path dir;

  @Test
  void aSpinTomlsFilesAreWatchedAndReloadsReuseTheirCopy() throws Exception {
    Files.copy(Path.of("examples", "modules", "hello.wasm"), dir.resolve("hello.wasm"));
    Files.createDirectories(dir.resolve("static"));
    Files.writeString(dir.resolve("static/a.txt"), "a");
    Files.writeString(dir.resolve("static/b.txt"), "b");
    Path manifest = dir.resolve("spin.toml");
    Files.writeString(
        manifest,
        """
        spin_manifest_version = 2
        [application]
        name = "w"
        [[trigger.http]]
        route = "/..."
        component = "c"
        executor = { type = "wagi" }
        [component.c]
        source = "hello.wasm"
        files = ["static/*.txt"]
        """);
    AppConfig config = load(manifest);
    assertThat(WatchedFiles.of(config))
        .containsExactlyInAnyOrder(
            manifest,
            dir.resolve("hello.wasm"),
            dir.resolve("static/a.txt"),
            dir.resolve("static/b.txt"));
    Path copy = config.modules().get(0).volumes().get("/");
    assertThat(copy.resolve("static/a.txt")).hasContent("a");
    assertThat(load(manifest).modules().get(0).volumes().get("/"))
        .as("the same files: the same copy")
        .isEqualTo(copy);
    Files.writeString(dir.resolve("static/a.txt"), "changed");
    Path changed = load(manifest).modules().get(0).volumes().get("/");
    assertThat(changed).isNotEqualTo(copy);
    assertThat(changed.resolve("static/a.txt")).hasContent("changed");
    assertThat(copy.resolve("static/a.txt"))
        .as("the previous copy stays as it was")
        .hasContent("a");
  }

  private AppConfig load(Path manifest) throws Exception {
    return new ConfigLoader(dir)
        .load(Main.parse(new String[] {"-c", manifest.toString(), "--no-module-cache"}, null));
  }
}
