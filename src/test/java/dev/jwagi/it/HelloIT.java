package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HelloIT {
  @TempDir Path dir;

  @Test
  void servesHelloAndHealthz() throws Exception {
    String toml = TestServer.module("/hello", TestServer.example("hello"));
    try (var server = TestServer.start(dir, toml)) {
      var hello = server.get("/hello");
      assertThat(hello.statusCode()).isEqualTo(200);
      assertThat(hello.headers().firstValue("content-type")).hasValue("text/plain");
      assertThat(TestServer.text(hello)).isEqualTo("hello world\n");

      var health = server.get("/healthz");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(TestServer.text(health)).isEqualTo("OK");
    }
  }
}
