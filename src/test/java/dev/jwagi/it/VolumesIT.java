package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volumes (as in WAGI; see the README): a guest path preopened onto a host directory; nothing else
 * reachable, and no path (.., absolute, or through a symlink) escapes the volume. readfile.wasm
 * answers {@code OK:<contents>} or {@code ERR:<strerror>}.
 */
@Timeout(60)
class VolumesIT {
  @TempDir static Path dir;
  static Path volume;
  static Path secretDir;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    volume = Files.createDirectories(dir.resolve("volume")).toRealPath();
    secretDir = Files.createDirectories(dir.resolve("secret")).toRealPath();
    Files.writeString(volume.resolve("hello.txt"), "hello volume\n");
    Files.createDirectories(volume.resolve("sub"));
    Files.writeString(volume.resolve("sub/inner.txt"), "inner\n");
    Files.writeString(secretDir.resolve("secret.txt"), "TOPSECRET\n");

    Files.createSymbolicLink(volume.resolve("link-out"), Path.of("/etc"));
    Files.createSymbolicLink(volume.resolve("secret-link"), secretDir.resolve("secret.txt"));
    Files.createSymbolicLink(volume.resolve("secret-dir-link"), secretDir);
    Files.createSymbolicLink(volume.resolve("abs-in"), volume.resolve("hello.txt"));
    Files.createSymbolicLink(volume.resolve("abs-dir-in"), volume.resolve("sub"));
    Files.createSymbolicLink(volume.resolve("chain-out"), volume.resolve("secret-link"));
    Files.createSymbolicLink(volume.resolve("link-in"), Path.of("hello.txt"));
    // Relative, naming a file that exists in the server's working directory (the project root
    // under Maven) but not next to the link: resolving against the working directory would leak it.
    Files.createSymbolicLink(volume.resolve("rel-escape"), Path.of("pom.xml"));
    Files.createSymbolicLink(volume.resolve("rel-dotdot"), Path.of("../secret/secret.txt"));

    server =
        TestServer.start(
            dir,
            "[[module]]\nroute = \"/read\"\nmodule = "
                + TestServer.wasm("readfile")
                + "\nvolumes = { \"/data\" = "
                + TestServer.tomlString(volume)
                + " }\n\n[[module]]\nroute = \"/novolume\"\nmodule = "
                + TestServer.wasm("readfile")
                + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
    // @TempDir cleanup warns about a link that leaves the temp dir; it is ours, remove it first.
    Files.deleteIfExists(volume.resolve("link-out"));
  }

  /** readfile.wasm's answer for guest path {@code path} (passed as argv[1] via the query). */
  private static String read(String path) throws Exception {
    return read("/read", path);
  }

  private static String read(String route, String path) throws Exception {
    var response = server.get(route + "?" + path);
    assertThat(response.statusCode()).as("GET %s?%s", route, path).isEqualTo(200);
    return TestServer.text(response);
  }

  private static void assertRefused(String path) throws Exception {
    String body = read(path);
    assertThat(body)
        .as(path)
        .startsWith("ERR:")
        .doesNotContain("root:")
        .doesNotContain("TOPSECRET");
  }

  @Test
  void readsAFileInTheVolume() throws Exception {
    assertThat(read("/data/hello.txt")).isEqualTo("OK:hello volume\n");
    assertThat(read("/data/sub/inner.txt")).isEqualTo("OK:inner\n");
  }

  @Test
  void missingFileIsAnError() throws Exception {
    assertThat(read("/data/missing.txt")).isEqualTo("ERR:No such file or directory");
  }

  @Test
  void dotDotOutOfTheVolumeIsRefused() throws Exception {
    assertRefused("/data/../etc/passwd");
    assertRefused("/data/../../../../etc/passwd");
    assertRefused("/data/sub/../../secret/secret.txt");
    assertRefused("/data/../secret/secret.txt");
  }

  @Test
  void pathsOutsideEveryVolumeAreRefused() throws Exception {
    assertRefused("/etc/passwd");
    assertRefused(secretDir.resolve("secret.txt").toString());
    // The volume's host path is no guest path.
    assertRefused(volume.resolve("hello.txt").toString());
    assertThat(read(volume.resolve("hello.txt").toString())).doesNotContain("hello volume");
  }

  @Test
  void aRouteWithoutVolumesSeesNoFiles() throws Exception {
    assertThat(read("/novolume", "/data/hello.txt")).startsWith("ERR:");
    assertThat(read("/novolume", "/etc/passwd")).startsWith("ERR:").doesNotContain("root:");
  }

  @Test
  void symlinkedDirectoryPointingOutsideIsRefused() throws Exception {
    assertRefused("/data/link-out/passwd");
    assertRefused("/data/secret-dir-link/secret.txt");
  }

  @Test
  void symlinkedFilePointingOutsideIsRefused() throws Exception {
    assertRefused("/data/secret-link");
    assertRefused("/data/chain-out");
  }

  @Test
  void absoluteSymlinkInsideTheVolumeWorks() throws Exception {
    assertThat(read("/data/abs-in")).isEqualTo("OK:hello volume\n");
    assertThat(read("/data/abs-dir-in/inner.txt")).isEqualTo("OK:inner\n");
  }

  /**
   * Relative symlink targets are refused by design (Chicory would resolve them against the server's
   * working directory); whatever happens, the module must not get another file.
   */
  @Test
  void relativeSymlinkNeverReadsAnotherFile() throws Exception {
    assertThat(read("/data/link-in"))
        .satisfiesAnyOf(
            body -> assertThat(body).startsWith("ERR:"),
            body -> assertThat(body).isEqualTo("OK:hello volume\n"));
    assertRefused("/data/rel-dotdot");
    String escape = read("/data/rel-escape");
    assertThat(escape).startsWith("ERR:").doesNotContain("<project");
  }
}
