package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stamp of an init's volumes: what makes its snapshot stale (an entry added, removed, renamed,
 * another size or time, a symlink retargeted), and what does not (a file outside the volume, even
 * one a symlink in it names: the guest cannot reach it).
 */
class VolumeStampTest {
  @TempDir Path dir;

  @Test
  void everyChangeAGuestCouldSeeChangesTheStamp() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("v").resolve("lib"));
    Path outside = Files.writeString(dir.resolve("outside.txt"), "x");
    Files.writeString(volume.resolve("a.txt"), "a");
    Files.createSymbolicLink(volume.resolve("out"), outside);
    Map<String, Path> volumes = Map.of("/data", dir.resolve("v"));
    String first = VolumePaths.stamp(volumes);
    assertThat(VolumePaths.stamp(volumes)).isEqualTo(first);
    assertThat(VolumePaths.stamp(Map.of("/other", dir.resolve("v")))).isNotEqualTo(first);

    Files.writeString(outside, "changed outside");
    assertThat(VolumePaths.stamp(volumes)).as("not followed out").isEqualTo(first);

    Files.writeString(volume.resolve("a.txt"), "ab");
    String grown = VolumePaths.stamp(volumes);
    assertThat(grown).isNotEqualTo(first);

    Files.move(volume.resolve("a.txt"), volume.resolve("b.txt"));
    String renamed = VolumePaths.stamp(volumes);
    assertThat(renamed).isNotEqualTo(grown);

    Files.delete(volume.resolve("out"));
    Files.createSymbolicLink(volume.resolve("out"), Path.of("b.txt"));
    assertThat(VolumePaths.stamp(volumes)).isNotEqualTo(renamed);
  }
}
