package dev.jwagi.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.MemoryUsage;
import org.junit.jupiter.api.Test;

class StartupHeapTest {
  private static final long MIB = 1 << 20;

  @Test
  void aHeapStillAtItsInitialSizeIsLeftAlone() {
    assertThat(StartupHeap.grown(new MemoryUsage(384 * MIB, 300 * MIB, 384 * MIB, 6144 * MIB)))
        .isFalse();
  }

  @Test
  void aHeapStartUpGrewPastItsInitialSizeIsCollected() {
    assertThat(StartupHeap.grown(new MemoryUsage(384 * MIB, 90 * MIB, 2244 * MIB, 6144 * MIB)))
        .isTrue();
  }

  @Test
  void aHeapWithoutAnInitialSizeIsLeftAlone() {
    assertThat(StartupHeap.grown(new MemoryUsage(-1, 90 * MIB, 2244 * MIB, 6144 * MIB))).isFalse();
  }
}
