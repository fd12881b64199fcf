package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Compiled modules are cached on disk, so a restart skips compilation, and says so. */
@Timeout(60)
class ModuleCacheIT {
  @TempDir Path dir;

  @Test
  void aRestartLoadsTheCompiledModuleFromTheCache() throws Exception {
    String toml = TestServer.module("/hello", TestServer.example("hello"));
    Path cache = dir.resolve("cache");
    for (String expected : new String[] {"compiled in", "loaded from cache in"}) {
      try (var log = LogCapture.of("dev.jwagi.TableFactory");
          var server = TestServer.start(dir, toml, "--module-cache", cache.toString())) {
        assertThat(TestServer.text(server.get("/hello"))).isEqualTo("hello world\n");
        assertThat(log.messages()).anyMatch(m -> m.contains("hello.wasm") && m.contains(expected));
      }
    }
  }
}
