package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a guest may do with the files of its volume, through jwagi's own WASI path functions
 * (fileops.wasm runs the operations named in its query, one line each), and what it may not: reach
 * outside the volume, even by racing two requests, or remove the volume itself.
 */
@Timeout(120)
class FileSystemIT {
  @TempDir static Path dir;
  static Path volume;
  static Path outside;
  static Path empty;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    volume = Files.createDirectories(dir.resolve("volume")).toRealPath();
    outside = Files.createDirectories(dir.resolve("outside")).toRealPath();
    Files.writeString(outside.resolve("secret.txt"), "OUTSIDE secret\n");
    empty = Files.createDirectories(dir.resolve("empty")).toRealPath();
    server =
        TestServer.start(
            dir,
            "[[module]]\nroute = \"/fs\"\nmodule = "
                + TestServer.wasm("fileops")
                + "\nvolumes = { \"/data\" = "
                + TestServer.tomlString(volume)
                + " }\n\n[[module]]\nroute = \"/empty\"\nmodule = "
                + TestServer.wasm("fileops")
                + "\nvolumes = { \"/data\" = "
                + TestServer.tomlString(empty)
                + " }\n");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(server);
  }

  /** fileops.wasm's lines for the operations (query pieces). */
  private static String fs(String... ops) throws Exception {
    return run("/fs", ops);
  }

  private static String run(String route, String... ops) throws Exception {
    var response = server.get(route + "?" + String.join("&", ops));
    assertThat(response.statusCode()).isEqualTo(200);
    return TestServer.text(response);
  }

  private static Path fresh(String name) throws Exception {
    return Files.createDirectories(volume.resolve(name));
  }

  /**
   * Two guests at once: one keeps making and removing the name {@code d} for the symlink {@code cfg
   * -> outside/secret.txt}, the other keeps opening {@code d}, following symlinks. A path checked
   * before it is opened lets the second read the outside file; resolved component by component, it
   * never may.
   */
  @Test
  void racingRequestsNeverReachOutsideTheVolume() throws Exception {
    fresh("race");
    Files.createSymbolicLink(volume.resolve("race/cfg"), outside.resolve("secret.txt"));
    var swapper = CompletableFuture.supplyAsync(() -> call("swap:/data/race"));
    String probe = fs("probe:/data/race:2000");
    String swap = swapper.get();
    assertThat(swap).startsWith("swap ok rounds=");
    Matcher m = Pattern.compile("probe ok tries=2000 opened=(\\d+) outside=(\\d+)").matcher(probe);
    assertThat(m.find()).as(probe).isTrue();
    assertThat(Long.parseLong(m.group(2))).as(probe + " / " + swap).isZero();
  }

  private static String call(String op) {
    try {
      return fs(op);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An empty volume: its root would go with rmdir; the host directory must stay. */
  @Test
  void theVolumeRootCannotBeRemovedOrRenamed() throws Exception {
    assertThat(run("/empty", "rmdir:/data", "rmdir:/data/.", "rename:/data:/data/x"))
        .doesNotContain(" ok");
    assertThat(empty).isDirectory();
    assertThat(
            run("/empty", "mkdir:/data/sub", "rmdir:/data/sub/..", "rename:/data/sub/..:/data/y"))
        .isEqualTo("mkdir ok\nrmdir ERR:Resource busy\nrename ERR:Resource busy\n");
    assertThat(empty).isDirectory();
    assertThat(run("/empty", "write:/data/still-here:yes", "read:/data/still-here"))
        .contains("read ok yes");
  }

  /** Write-then-rename, the usual safe save; and rename replaces an existing file. */
  @Test
  void renameWorksInsideTheVolume() throws Exception {
    fresh("save");
    assertThat(
            fs(
                "write:/data/save/config.tmp:v1",
                "rename:/data/save/config.tmp:/data/save/config",
                "write:/data/save/config.tmp:v2",
                "rename:/data/save/config.tmp:/data/save/config",
                "read:/data/save/config",
                "ls:/data/save"))
        .isEqualTo("write ok\nrename ok\nwrite ok\nrename ok\nread ok v2\nls ok config\n");
    assertThat(volume.resolve("save/config")).hasContent("v2");
  }

  @Test
  void renameOutOfTheVolumeIsRefused() throws Exception {
    fresh("out");
    Files.writeString(volume.resolve("out/f"), "f");
    Files.createSymbolicLink(volume.resolve("out/away"), outside);
    assertThat(fs("rename:/data/out/f:/data/out/away/f", "rename:/data/out/f:/data/../f"))
        .doesNotContain(" ok");
    assertThat(outside.resolve("f")).doesNotExist();
    assertThat(volume.resolve("out/f")).exists();
  }

  @Test
  void directoriesFilesAndLinksWork() throws Exception {
    fresh("ops");
    assertThat(
            fsNoDirSize(
                "mkdir:/data/ops/d",
                "write:/data/ops/d/a:hello",
                "append:/data/ops/d/a:-world",
                "read:/data/ops/d/a",
                "stat:/data/ops/d/a",
                "stat:/data/ops/d",
                "symlink:a:/data/ops/d/l",
                "readlink:/data/ops/d/l",
                "lstat:/data/ops/d/l",
                "read:/data/ops/d/l",
                "link:/data/ops/d/a:/data/ops/d/hard",
                "ls:/data/ops/d",
                "truncate:/data/ops/d/a:4",
                "read:/data/ops/d/a",
                "rw:/data/ops/d/rw",
                "utime:/data/ops/d/a",
                "unlink:/data/ops/d/l",
                "unlink:/data/ops/d/hard",
                "unlink:/data/ops/d/rw",
                "rmdir:/data/ops/d/a",
                "unlink:/data/ops/d/a",
                "rmdir:/data/ops/d",
                "ls:/data/ops"))
        .isEqualTo(
            String.join(
                "\n",
                "mkdir ok",
                "write ok",
                "append ok",
                "read ok hello-world",
                "stat ok file 11",
                "stat ok dir SIZE",
                "symlink ok",
                "readlink ok a",
                "lstat ok link 1",
                "read ok hello-world",
                "link ok",
                "ls ok a hard l",
                "truncate ok",
                "read ok hell",
                "rw ok cd",
                "utime ok 1000000",
                "unlink ok",
                "unlink ok",
                "unlink ok",
                "rmdir ERR:Not a directory",
                "unlink ok",
                "rmdir ok",
                "ls ok",
                ""));
    assertThat(volume.resolve("ops")).isEmptyDirectory();
  }

  /** {@link #fs}, with a directory's size (the file system's business) as SIZE. */
  private static String fsNoDirSize(String... ops) throws Exception {
    return fs(ops).replaceAll("stat ok dir \\d+", "stat ok dir SIZE");
  }

  @Test
  void symlinksAreResolvedInsideTheVolume() throws Exception {
    fresh("links");
    Files.writeString(volume.resolve("links/target.txt"), "inside");
    Files.createSymbolicLink(volume.resolve("links/rel"), Path.of("target.txt"));
    Files.createSymbolicLink(volume.resolve("links/up"), Path.of("../links/target.txt"));
    Files.createSymbolicLink(volume.resolve("links/abs"), volume.resolve("links/target.txt"));
    Files.createSymbolicLink(volume.resolve("links/out"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(volume.resolve("links/outdir"), outside);
    Files.createSymbolicLink(volume.resolve("links/escape"), Path.of("../../outside/secret.txt"));
    Files.createSymbolicLink(volume.resolve("links/loop"), Path.of("loop"));
    String result =
        fs(
            "read:/data/links/rel",
            "read:/data/links/up",
            "read:/data/links/abs",
            "read:/data/links/out",
            "read:/data/links/outdir/secret.txt",
            "read:/data/links/escape",
            "read:/data/links/loop",
            "write:/data/links/out:overwritten",
            "write:/data/links/outdir/new:created",
            "mkdir:/data/links/outdir/newdir",
            "symlink:/etc/passwd:/data/links/mine",
            "symlink:../../outside:/data/links/mine");
    assertThat(result)
        .startsWith("read ok inside\nread ok inside\nread ok inside\n")
        .doesNotContain("OUTSIDE");
    assertThat(result.lines().skip(3)).allSatisfy(line -> assertThat(line).contains("ERR:"));
    assertThat(outside.resolve("secret.txt")).hasContent("OUTSIDE secret\n");
    assertThat(outside.resolve("new")).doesNotExist();
    assertThat(outside.resolve("newdir")).doesNotExist();
    assertThat(volume.resolve("links/mine")).doesNotExist();
  }

  @Test
  void readdirListsEntriesAndStatKeepsTimes() throws Exception {
    Path many = fresh("many");
    for (int i = 0; i < 150; i++) {
      Files.writeString(many.resolve(String.format("file-%03d-with-a-longer-name", i)), "x");
    }
    String ls = fs("ls:/data/many");
    assertThat(ls.strip().split(" ")).hasSize(2 + 150);
    assertThat(fs("utime:/data/many/file-001-with-a-longer-name")).isEqualTo("utime ok 1000000\n");
  }
}
