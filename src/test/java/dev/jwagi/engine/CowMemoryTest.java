package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CowMemoryTest {
  private static final int PAGE = Memory.PAGE_SIZE;

  /** An active segment at a constant offset. */
  private static DataSegment segment(int offset, byte[] data) {
    return new ActiveDataSegment(
        0,
        List.of(
            new Instruction(-1, OpCode.I32_CONST, new long[] {offset}),
            new Instruction(-1, OpCode.END, Instruction.EMPTY_OPERANDS)),
        data);
  }

  private static final DataSegment[] SEGMENTS = {
    segment(100, new byte[] {1, 2, 3}),
    segment(PAGE + 4090, new byte[] {9, 8, 7, 6, 5, 4, 3, 2, 1}), // across a chunk boundary
    new PassiveDataSegment(new byte[] {42, 43}),
  };

  /** A memory as Chicory's Instance prepares one: zero, then the data segments. */
  private static <M extends Memory> M started(M memory) {
    memory.zero();
    memory.initialize(null, SEGMENTS.clone());
    return memory;
  }

  private static byte[] all(Memory m) {
    return m.readBytes(0, m.pages() * PAGE);
  }

  /** Every kind of access that reaches past {@code end}, or below 0, traps as wasm requires. */
  private static void assertTrapsOutside(Memory memory, int end) {
    assertThatThrownBy(() -> memory.readInt(end - 2)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.readLong(-4)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.writeI32(end - 2, 1)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.writeShort(end - 1, (short) 1))
        .isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.writeByte(end, (byte) 1))
        .isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.read(-1)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.write(end - 1, new byte[2], 0, 2))
        .isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.copy(0, end - 1, 2)).isInstanceOf(WasmRuntimeException.class);
    assertThatThrownBy(() -> memory.fill((byte) 1, end - 1, end + 1))
        .isInstanceOf(WasmRuntimeException.class);
  }

  @Test
  void startsWithTheDataSegmentsAndSharesTheImageAfterTheFirstRun() {
    var image = new CowMemory.Image(2);
    var reference = started(new ByteArrayMemory(new MemoryLimits(2, 10)));
    var first = started(new CowMemory(image, new MemoryLimits(2, 10)));
    assertThat(image.taken()).isTrue();
    assertThat(image.dataChunks()).isEqualTo(3); // offset 100, and both sides of the boundary
    var second = started(new CowMemory(image, new MemoryLimits(2, 10)));
    assertThat(all(first)).isEqualTo(all(reference));
    assertThat(all(second)).isEqualTo(all(reference));
    assertThat(second.ownedChunks()).as("nothing copied until written").isZero();
  }

  @Test
  void writesCopyOnlyTheChunksTheyTouchAndNeverTheImage() {
    var image = new CowMemory.Image(2);
    started(new CowMemory(image, new MemoryLimits(2, 10)));
    var a = started(new CowMemory(image, new MemoryLimits(2, 10)));
    var b = started(new CowMemory(image, new MemoryLimits(2, 10)));
    a.writeI32(100, 0x7777_7777);
    a.writeByte(3 * 4096 + 1, (byte) 5);
    a.writeLong(PAGE - 4, -1L); // straddles two chunks
    assertThat(a.ownedChunks()).isEqualTo(4);
    assertThat(a.readInt(100)).isEqualTo(0x7777_7777);
    assertThat(b.read(100)).isEqualTo((byte) 1);
    assertThat(b.read(3 * 4096 + 1)).isZero();
    assertThat(b.readLong(PAGE - 4)).isZero();
    var c = started(new CowMemory(image, new MemoryLimits(2, 10)));
    assertThat(c.read(100)).as("the image is unchanged").isEqualTo((byte) 1);
  }

  @Test
  void aReusedMemoryForgetsEverythingItsLastRunDid() {
    var image = new CowMemory.Image(2);
    var reference = started(new ByteArrayMemory(new MemoryLimits(2, 10)));
    var memory = started(new CowMemory(image, new MemoryLimits(2, 10)));
    for (int run = 0; run < 3; run++) {
      memory.fill((byte) 0x5A, 0, 2 * PAGE);
      assertThat(memory.grow(3)).isEqualTo(2);
      memory.fill((byte) 0x6B, 2 * PAGE, 5 * PAGE);
      memory.drop(2);
      started(memory);
      assertThat(memory.pages()).isEqualTo(2);
      assertThat(all(memory)).isEqualTo(all(reference));
      memory.initPassiveSegment(2, 0, 0, 2); // a dropped segment is back for the next run
      assertThat(memory.read(1)).isEqualTo((byte) 43);
      assertThat(memory.readBytes(2, 4094)).isEqualTo(reference.readBytes(2, 4094));
      assertThat(memory.grow(1)).isEqualTo(2);
      assertThat(memory.readBytes(2 * PAGE, PAGE)).as("grown pages read as zero").containsOnly(0);
      started(memory);
    }
  }

  @Test
  void aResetMemoryKeepsNoMoreThanItsInitialSizeInSpareBuffers() {
    var memory =
        started(new CowMemory(new CowMemory.Image(2), new MemoryLimits(2, 100), Integer.MAX_VALUE));
    memory.grow(60);
    memory.fill((byte) 1, 0, 62 * PAGE); // 992 chunks written
    assertThat(memory.ownedChunks()).isEqualTo(62 * 16);
    memory.zero();
    assertThat(memory.ownedChunks()).isZero();
    assertThat(memory.spareChunks()).isEqualTo(2 * 16);
    assertThat(memory.pages()).isEqualTo(2);
  }

  @Test
  void growthStopsAtTheMaximumAndAsksTheListener() {
    var memory = started(new CowMemory(new CowMemory.Image(2), new MemoryLimits(2, 4)));
    List<Long> asked = new ArrayList<>();
    memory.growthListener(
        (added, total) -> {
          asked.add(added);
          return total <= 3L * PAGE;
        });
    assertThat(memory.grow(0)).isEqualTo(2);
    assertThat(memory.grow(1)).isEqualTo(2);
    assertThat(memory.grow(1)).as("refused by the listener").isEqualTo(-1);
    assertThat(memory.grow(2)).as("past the maximum: the listener is not asked").isEqualTo(-1);
    assertThat(memory.grow(-1)).as("2^32-1 pages").isEqualTo(-1);
    assertThat(memory.pages()).isEqualTo(3);
    assertThat(asked).containsExactly((long) PAGE, (long) PAGE);
  }

  @Test
  void outOfBoundsAccessesTrapLikeChicorysMemory() {
    var memory = started(new CowMemory(new CowMemory.Image(2), new MemoryLimits(2, 3)));
    int end = 2 * PAGE;
    assertTrapsOutside(memory, end);
    memory.grow(1);
    memory.writeI32(end - 2, 0x01020304); // now in bounds, across the page boundary
    assertThat(memory.readInt(end - 2)).isEqualTo(0x01020304);
  }

  @Test
  void aRunThatWritesMostOfItsMemoryGoesFlatAndTheNextRunStartsFromTheImage() {
    var image = new CowMemory.Image(2);
    var reference = started(new ByteArrayMemory(new MemoryLimits(2, 10)));
    var memory = started(new CowMemory(image, new MemoryLimits(2, 10), 8));
    for (int run = 0; run < 3; run++) {
      memory.fill((byte) 0x11, 0, 16 * 4096); // 16 chunks of 32 copied
      assertThat(memory.isFlat()).isFalse();
      memory.writeI32(PAGE + 8, 0x2222_2222); // a 17th would be more than half: flat instead
      assertThat(memory.isFlat()).as("run %d", run).isTrue();
      assertThat(memory.readInt(PAGE + 8)).isEqualTo(0x2222_2222);
      assertThat(memory.read(16 * 4096 - 1)).isEqualTo((byte) 0x11);
      assertThat(memory.read(100)).as("the data segment was overwritten").isEqualTo((byte) 0x11);
      assertThat(memory.readBytes(PAGE + 4094, 5))
          .as("a segment past the fill")
          .containsExactly(5, 4, 3, 2, 1);
      assertThat(memory.grow(1)).isEqualTo(2); // half its size: the array grows
      assertThat(memory.isFlat()).isTrue();
      memory.writeLong(3 * PAGE - 8, -1L);
      started(memory);
      assertThat(memory.isFlat()).isFalse();
      assertThat(memory.pages()).isEqualTo(2);
      assertThat(all(memory)).isEqualTo(all(reference));
    }
  }

  @Test
  void aFlatMemoryThatGrowsALittleIsChunksAgainAndStaysSo() {
    var memory = started(new CowMemory(new CowMemory.Image(10), new MemoryLimits(10, 20), 8));
    memory.fill((byte) 7, 0, 10 * PAGE);
    assertThat(memory.isFlat()).isTrue();
    assertThat(memory.grow(1)).isEqualTo(10); // a tenth of its size: back to chunks
    assertThat(memory.isFlat()).isFalse();
    assertThat(memory.ownedChunks()).isEqualTo(160);
    assertThat(memory.readBytes(0, 10 * PAGE)).containsOnly(7);
    assertThat(memory.readBytes(10 * PAGE, PAGE)).containsOnly(0);
    memory.fill((byte) 8, 10 * PAGE, 11 * PAGE);
    assertThat(memory.isFlat()).as("once per run").isFalse();
    assertThat(memory.read(11 * PAGE - 1)).isEqualTo((byte) 8);
  }

  /**
   * A copy whose first pieces land in chunks the run owns and whose later ones do not: the memory
   * goes flat midway and the rest is copied on the array, backwards and forwards.
   */
  @Test
  void aCopyThatMakesTheMemoryGoFlatMidwayCopiesEveryByte() {
    var random = new Random(7);
    byte[] initial = new byte[2 * PAGE];
    byte[] written = new byte[16 * 4096];
    random.nextBytes(initial);
    random.nextBytes(written);
    DataSegment[] everywhere = {segment(0, initial)};
    for (boolean backwards : new boolean[] {true, false}) {
      var limits = new MemoryLimits(2, 2);
      var image = new CowMemory.Image(2);
      var memory = new CowMemory(image, limits, 4);
      for (int run = 0; run < 2; run++) {
        memory.zero(); // the first run takes the image: the second starts with no chunk of its own
        memory.initialize(null, everywhere);
      }
      var reference = new ByteArrayMemory(limits);
      reference.zero();
      reference.initialize(null, everywhere);
      // Own half of the chunks (16 of 32): the ones the copy writes first.
      int owned = backwards ? 16 * 4096 : 0;
      memory.write(owned, written, 0, written.length);
      reference.write(owned, written, 0, written.length);
      assertThat(memory.ownedChunks()).isEqualTo(16);
      assertThat(memory.isFlat()).isFalse();
      int dest = 14 * 4096 + 100;
      int src = backwards ? 12 * 4096 + 7 : 16 * 4096 + 7;
      memory.copy(dest, src, 7 * 4096);
      reference.copy(dest, src, 7 * 4096);
      assertThat(memory.isFlat()).as("backwards %s", backwards).isTrue();
      assertThat(all(memory)).as("backwards %s", backwards).isEqualTo(all(reference));
    }
  }

  @Test
  void outOfBoundsAccessesTrapWhenFlatToo() {
    var memory = started(new CowMemory(new CowMemory.Image(2), new MemoryLimits(2, 3), 4));
    memory.fill((byte) 1, 0, 2 * PAGE);
    assertThat(memory.isFlat()).isTrue();
    int end = 2 * PAGE;
    assertTrapsOutside(memory, end);
    assertThat(memory.readInt(end - 4)).isEqualTo(0x01010101);
    memory.grow(1);
    memory.writeI32(end - 2, 0x01020304);
    assertThat(memory.readInt(end - 2)).isEqualTo(0x01020304);
  }

  /** Random reads, writes, copies and fills give the same bytes as Chicory's memory. */
  @Test
  void behavesLikeChicorysMemoryUnderRandomOperations() {
    var runs = randomOperations(2, 4, Integer.MAX_VALUE, 0);
    assertThat(runs.wentFlat).as("never flat").isZero();
  }

  /**
   * The same with a memory that goes flat after a few copied chunks, and grows by a page only in
   * the second half of each run: by copying its array (a page is half of 2 pages), or back in
   * chunks (a page is a tenth of 10).
   */
  @Test
  void behavesLikeChicorysMemoryAfterGoingFlat() {
    var grownFlat = randomOperations(2, 4, 4, 200);
    assertThat(grownFlat.wentFlat).as("seeds that went flat").isGreaterThan(10);
    assertThat(grownFlat.grewFlat).as("seeds that grew while flat").isGreaterThan(5);
    var backInChunks = randomOperations(10, 14, 4, 200);
    assertThat(backInChunks.wentFlat).as("seeds that went flat").isGreaterThan(10);
    assertThat(backInChunks.leftFlat).as("seeds back in chunks after growing").isGreaterThan(5);
  }

  /** How many seeds of {@link #randomOperations} went flat, grew flat, and left flat. */
  private static final class Runs {
    int wentFlat;
    int grewFlat;
    int leftFlat;
  }

  /** 20 seeds of 400 random operations each; memory.grow only from operation {@code growFrom}. */
  private static Runs randomOperations(
      int initialPages, int maxPages, int flatMinChunks, int growFrom) {
    var runs = new Runs();
    var limits = new MemoryLimits(initialPages, maxPages);
    var image = new CowMemory.Image(initialPages);
    started(new CowMemory(image, limits, flatMinChunks));
    for (long seed = 1; seed <= 20; seed++) {
      var random = new Random(seed);
      CowMemory ours = started(new CowMemory(image, limits, flatMinChunks));
      Memory theirs = started(new ByteArrayMemory(limits));
      boolean wasFlat = false;
      boolean grewFlat = false;
      boolean leftFlat = false;
      for (int op = 0; op < 400; op++) {
        int size = ours.pages() * PAGE;
        // Addresses near chunk boundaries half of the time.
        int addr =
            random.nextBoolean()
                ? random.nextInt(size)
                : Math.max(0, (random.nextInt(size / 4096) * 4096) - random.nextInt(9));
        int len = random.nextInt(Math.min(9000, size - addr) + 1);
        switch (random.nextInt(11)) {
          case 0 -> {
            byte v = (byte) random.nextInt();
            ours.writeByte(addr, v);
            theirs.writeByte(addr, v);
          }
          case 1 -> {
            if (addr <= size - 4) {
              int v = random.nextInt();
              ours.writeI32(addr, v);
              theirs.writeI32(addr, v);
            }
          }
          case 2 -> {
            if (addr <= size - 8) {
              long v = random.nextLong();
              ours.writeLong(addr, v);
              theirs.writeLong(addr, v);
            }
          }
          case 3 -> {
            if (addr <= size - 2) {
              short v = (short) random.nextInt();
              ours.writeShort(addr, v);
              theirs.writeShort(addr, v);
            }
          }
          case 4 -> {
            byte[] data = new byte[len];
            random.nextBytes(data);
            ours.write(addr, data, 0, len);
            theirs.write(addr, data, 0, len);
          }
          case 5 -> {
            int src = random.nextInt(size - len + 1);
            ours.copy(addr, src, len);
            theirs.copy(addr, src, len);
          }
          case 6 -> {
            byte v = random.nextInt(3) == 0 ? 0 : (byte) random.nextInt();
            ours.fill(v, addr, addr + len);
            theirs.fill(v, addr, addr + len);
          }
          case 7 -> {
            if (op >= growFrom && ours.pages() < maxPages) {
              boolean flatBefore = ours.isFlat();
              assertThat(ours.grow(1)).isEqualTo(theirs.grow(1));
              grewFlat |= flatBefore && ours.isFlat();
              leftFlat |= flatBefore && !ours.isFlat();
            }
          }
          case 8 -> {
            if (addr <= size - 4) {
              float v = Float.intBitsToFloat(random.nextInt()); // NaN payloads too
              ours.writeF32(addr, v);
              theirs.writeF32(addr, v);
            }
          }
          case 9 -> {
            if (addr <= size - 8) {
              double v = Double.longBitsToDouble(random.nextLong());
              ours.writeF64(addr, v);
              theirs.writeF64(addr, v);
            }
          }
          default -> {
            if (addr <= size - 8) {
              assertThat(ours.readLong(addr)).isEqualTo(theirs.readLong(addr));
              assertThat(ours.readInt(addr)).isEqualTo(theirs.readInt(addr));
              assertThat(ours.readShort(addr)).isEqualTo(theirs.readShort(addr));
              assertThat(Double.doubleToRawLongBits(ours.readDouble(addr)))
                  .isEqualTo(Double.doubleToRawLongBits(theirs.readDouble(addr)));
              assertThat(Float.floatToRawIntBits(ours.readFloat(addr)))
                  .isEqualTo(Float.floatToRawIntBits(theirs.readFloat(addr)));
            }
          }
        }
        wasFlat |= ours.isFlat();
      }
      assertThat(all(ours)).as("seed %d", seed).isEqualTo(all(theirs));
      runs.wentFlat += wasFlat ? 1 : 0;
      runs.grewFlat += grewFlat ? 1 : 0;
      runs.leftFlat += leftFlat ? 1 : 0;
    }
    return runs;
  }
}
