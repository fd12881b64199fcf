package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A snapshot's memory as the module cache keeps it: only the chunks that hold data are written,
 * read back into a memory that reads exactly the same, and bytes that are not such an image fail
 * before anything larger than what was read is allocated.
 */
class SnapshotImageTest {
  private static final int PAGE = 65536;

  /** A 4-page memory with data in two chunks only, as an init would leave it. */
  private static CowMemory.Image written() {
    var memory = new CowMemory(new CowMemory.Image(4), new MemoryLimits(4, 16));
    memory.initialize(null, null);
    memory.writeI32(100, 0x12345678);
    memory.writeByte(3 * PAGE + 5000, (byte) 7);
    return memory.snapshot();
  }

  private static byte[] bytes(CowMemory.Image image) throws IOException {
    var out = new ByteArrayOutputStream();
    image.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }

  private static CowMemory.Image read(byte[] bytes, int maxPages) throws IOException {
    return CowMemory.Image.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)), maxPages);
  }

  @Test
  void onlyChunksWithDataAreWrittenAndTheImageReadsTheSame() throws Exception {
    byte[] stored = bytes(written());
    // Pages, two chunks (index and 4 KiB each), the end mark: not the 256 KiB of the memory.
    assertThat(stored).hasSize(4 + 2 * (4 + CowMemory.CHUNK_SIZE) + 4);
    CowMemory.Image image = read(stored, 16);
    assertThat(image.pages()).isEqualTo(4);
    assertThat(image.dataChunks()).isEqualTo(2);
    var memory = new CowMemory(image, new MemoryLimits(4, 16));
    memory.initialize(null, null);
    assertThat(memory.readInt(100)).isEqualTo(0x12345678);
    assertThat(memory.read(3 * PAGE + 5000)).isEqualTo((byte) 7);
    assertThat(memory.readBytes(PAGE, 2 * PAGE)).isEqualTo(new byte[2 * PAGE]);
  }

  @Test
  void bytesThatAreNotAnImageFail() throws Exception {
    byte[] stored = bytes(written());
    assertThatThrownBy(() -> read(stored, 3))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("over its maximum of 3");
    byte[] swapped = stored.clone();
    // The second chunk's index made the first's: out of order.
    System.arraycopy(stored, 4, swapped, 4 + 4 + CowMemory.CHUNK_SIZE, 4);
    assertThatThrownBy(() -> read(swapped, 16))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("out of order");
    byte[] cut = java.util.Arrays.copyOf(stored, stored.length - 10);
    assertThatThrownBy(() -> read(cut, 16)).isInstanceOf(IOException.class);
  }
}
