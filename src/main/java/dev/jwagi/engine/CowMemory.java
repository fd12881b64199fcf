package dev.jwagi.engine;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A guest's linear memory, copy-on-write over its module's initial image.
 *
 * <p>The memory is a table of 4 KiB chunks. When an instance initialises it, every chunk is a
 * shared, read-only view: of the module's {@link Image} (its initial memory with the data segments
 * applied, taken once, on the module's first run) or of one all-zero chunk. A chunk is copied into
 * a buffer of this memory's own the first time the guest writes to it, so a run pays for the chunks
 * it writes, not for the size of its memory: instantiating neither zeroes nor re-applies the data
 * segments. Chunks are finer than wasm's 64 KiB pages because a CGI guest writes a few KiB (its
 * stack top, stdio buffers, a few globals) of a memory that starts at 128 KiB or more.
 *
 * <p>Isolation: a chunk the guest can write is always its own buffer, filled from the image when it
 * was taken; the image and the zero chunk are never written. A reused memory (see {@link Guest}) is
 * reset by {@link #zero()}, which Chicory calls before {@link #initialize}: every chunk goes back
 * to a shared view and the buffers are kept for later copies, so nothing of a previous run can be
 * read.
 *
 * <p>A run that writes most of its memory goes flat: once it owns at least half of the chunks (and
 * {@link #FLAT_MIN_CHUNKS} or more), the chunks are copied into one array and every access from
 * then on is a single bounds-checked array access. That is what makes memory-bound guests fast:
 * with chunks, each access looks its chunk up first, and a hot loop pays for it on every load and
 * store (SHA-256 of 1 MiB ran 1.5 times longer). Going flat copies the memory once, at most twice
 * what the run has already copied chunk by chunk, and at most once per run. A flat memory grows by
 * copying the array when the growth is at least an eighth of its size (amortised: a run never
 * copies more than a few times its final size); a smaller growth turns it back into chunks for the
 * rest of the run, so a guest growing page by page never copies its whole memory at each step. A
 * reset ({@link #zero()}) drops the flat array.
 *
 * <p>Growth happens in {@link #grow} only: it checks the maximum (the route's {@code max_memory}),
 * then asks the {@link GrowthListener}. New pages read as zero until written.
 *
 * <p>Not for shared memories (threads) nor for modules with several memories: {@link Guest} gives
 * those Chicory's own memory. Not thread-safe: one guest thread uses it at a time.
 */
final class CowMemory implements Memory {
  static final int CHUNK_SHIFT = 12;
  static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK_SIZE - 1;
  private static final int CHUNKS_PER_PAGE = PAGE_SIZE / CHUNK_SIZE;

  /** The fewest copied chunks (256 KiB) that make a memory go flat: small guests never do. */
  static final int FLAT_MIN_CHUNKS = 64;

  /** Read by every chunk that is still zero; never written (writes go to a copy). */
  private static final byte[] ZERO = new byte[CHUNK_SIZE];

  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * A module's initial memory: the chunks after its data segments are applied, taken once on its
   * first instantiation and shared, read-only, by every later one. All-zero chunks are {@link
   * #ZERO}.
   */
  static final class Image {
    private final int initialPages;
    private volatile byte[][] chunks;

    Image(int initialPages) {
      this.initialPages = initialPages;
    }

    /** An image taken already: {@code chunks} (all-zero ones {@link #ZERO}), never written. */
    private Image(byte[][] chunks) {
      this.initialPages = chunks.length / CHUNKS_PER_PAGE;
      this.chunks = chunks;
    }

    /** Its size in pages: every memory made from it starts this large. */
    int pages() {
      return initialPages;
    }

    /** Whether the image has been taken (after the module's first instantiation). */
    boolean taken() {
      return chunks != null;
    }

    /**
     * Writes a taken image sparsely: its size in pages, then each chunk that holds data after its
     * index (in increasing order), then -1. The all-zero chunks are not written.
     */
    void writeTo(DataOutput out) throws IOException {
      byte[][] c = chunks;
      out.writeInt(initialPages);
      for (int i = 0; i < c.length; i++) {
        if (c[i] != ZERO) {
          out.writeInt(i);
          out.write(c[i]);
        }
      }
      out.writeInt(-1);
    }

    /**
     * An image {@link #writeTo} wrote, of at most {@code maxPages}. Each chunk is read into its own
     * array as it comes (no second copy of the image), and one that is out of order or out of range
     * fails with an IOException, so what is allocated never outgrows what was read.
     */
    static Image readFrom(DataInput in, int maxPages) throws IOException {
      int pages = in.readInt();
      if (pages < 0 || pages > maxPages) {
        throw new IOException("a memory of " + pages + " pages, over its maximum of " + maxPages);
      }
      byte[][] chunks = new byte[pages * CHUNKS_PER_PAGE][];
      Arrays.fill(chunks, ZERO);
      int last = -1;
      for (int i = in.readInt(); i != -1; i = in.readInt()) {
        if (i <= last || i >= chunks.length) {
          throw new IOException("memory chunk " + i + " out of order or past " + chunks.length);
        }
        byte[] chunk = new byte[CHUNK_SIZE];
        in.readFully(chunk);
        chunks[i] = chunk;
        last = i;
      }
      return new Image(chunks);
    }

    /** Chunks of the image that hold data (the rest are zero): the memory it keeps. */
    int dataChunks() {
      byte[][] c = chunks;
      if (c == null) {
        return 0;
      }
      int n = 0;
      for (byte[] chunk : c) {
        n += chunk == ZERO ? 0 : 1;
      }
      return n;
    }
  }

  private final Image image;
  private final MemoryLimits limits;
  private final int maxPages;
  private final int maxSpares;
  private final int flatMinChunks;
  private GrowthListener growth = GrowthListener.UNLIMITED;

  /**
   * The whole memory as one array once this run went flat, else null. While it is set, every access
   * goes to it, and {@link #chunks} and {@link #own} are not used.
   */
  private byte[] flat;

  /** Whether this run went flat already (it does at most once; cleared by {@link #zero()}). */
  private boolean wentFlat;

  /**
   * Whether the data segments are in (set by {@link #initialize}): only a guest's run goes flat.
   */
  private boolean initialised;

  /** What reads see: a shared chunk (image or zero) or this memory's own buffer. */
  private byte[][] chunks;

  /** This memory's writable buffer per chunk, or null while the chunk is a shared view. */
  private byte[][] own;

  private int pages;

  /** Indices of the chunks that have their own buffer, to reset them quickly. */
  private int[] owned = new int[16];

  private int ownedCount;

  /** Buffers of earlier runs, reused by later copies (their content is always overwritten). */
  private byte[][] spares = new byte[8][];

  private int spareCount;

  /** Whether every byte is zero and nothing was written since {@link #zero()}. */
  private boolean allZero;

  private DataSegment[] dataSegments;
  private boolean segmentsCopied;

  CowMemory(Image image, MemoryLimits limits) {
    this(image, limits, FLAT_MIN_CHUNKS);
  }

  /** With the fewest copied chunks that make it go flat (tests use small memories). */
  CowMemory(Image image, MemoryLimits limits, int flatMinChunks) {
    if (limits.shared()) {
      throw new IllegalArgumentException("shared memories are not copy-on-write");
    }
    this.image = image;
    this.limits = limits;
    this.maxPages = Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    this.pages = limits.initialPages();
    // Keep at most as many spare buffers as the initial memory has chunks (and 1 MiB at most),
    // so an idle pooled memory holds no more than a plain one would.
    this.maxSpares = Math.min(pages * CHUNKS_PER_PAGE, 256);
    this.flatMinChunks = flatMinChunks;
    this.chunks = new byte[pages * CHUNKS_PER_PAGE][];
    this.own = new byte[chunks.length][];
    Arrays.fill(chunks, ZERO);
    this.allZero = true;
  }

  /** The listener asked before each growth of this memory, until set again. */
  void growthListener(GrowthListener listener) {
    this.growth = listener;
  }

  /** How many chunks this memory has copied since it was last reset (for tests and profiling). */
  int ownedChunks() {
    return ownedCount;
  }

  /** How many spare buffers it keeps for later copies (bounded by its initial size, 1 MiB). */
  int spareChunks() {
    return spareCount;
  }

  /** Whether the memory is one array now (this run wrote most of it). */
  boolean isFlat() {
    return flat != null;
  }

  // ---------------------------------------------------------------------------------------------
  // Life cycle: reset, initialise, grow

  /** Back to all zeros at the initial size; the copies made so far become spare buffers. */
  @Override
  public void zero() {
    releaseOwnBuffers();
    flat = null;
    wentFlat = false;
    initialised = false;
    pages = limits.initialPages();
    int initialChunks = pages * CHUNKS_PER_PAGE;
    if (chunks.length != initialChunks) {
      chunks = new byte[initialChunks][];
      own = new byte[initialChunks][];
    }
    Arrays.fill(chunks, ZERO);
    dataSegments = null;
    segmentsCopied = false;
    allZero = true;
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  /**
   * Applies the data segments, as Chicory does right after {@link #zero()}: from the module's image
   * if it has been taken (no bytes copied), else by writing them, and then takes the image.
   */
  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
    this.dataSegments = dataSegments;
    this.segmentsCopied = false;
    byte[][] taken = image.chunks;
    if (allZero && memoryIndex == 0 && taken != null && taken.length == chunks.length) {
      System.arraycopy(taken, 0, chunks, 0, taken.length);
      allZero = false;
      initialised = true;
      return;
    }
    boolean takeImage = allZero && memoryIndex == 0 && pages == image.initialPages;
    if (dataSegments != null) {
      for (DataSegment s : dataSegments) {
        if (s instanceof ActiveDataSegment) {
          var segment = (ActiveDataSegment) s;
          if (segment.index() != memoryIndex) {
            continue;
          }
          byte[] data = segment.data();
          int offset =
              (int)
                  ConstantEvaluators.computeConstantValue(instance, segment.offsetInstructions())[
                      0];
          if (offset < 0 || offset > sizeInBytes() - data.length) {
            throw new UninstantiableException(
                "out of bounds memory access: data segment at "
                    + Integer.toUnsignedString(offset)
                    + " of "
                    + data.length
                    + " bytes, memory size "
                    + sizeInBytes());
          }
          write(offset, data, 0, data.length);
        } else if (!(s instanceof PassiveDataSegment)) {
          throw new ChicoryException("Data segment should be active or passive: " + s);
        }
      }
    }
    if (takeImage) {
      takeImage();
    }
    initialised = true;
  }

  /**
   * This memory's content now, as an image for other memories to start from (pre-initialisation:
   * the memory after an init export ran). The memory itself is unchanged; chunks it shares with its
   * own image are shared by the new one too (neither is ever written).
   */
  Image snapshot() {
    byte[][] snapshot = new byte[pages * CHUNKS_PER_PAGE][];
    for (int i = 0; i < snapshot.length; i++) {
      byte[] chunk;
      if (flat != null) {
        chunk = Arrays.copyOfRange(flat, i << CHUNK_SHIFT, (i + 1) << CHUNK_SHIFT);
      } else {
        chunk = own[i] != null ? own[i].clone() : chunks[i];
      }
      snapshot[i] = chunk == ZERO || Arrays.equals(chunk, ZERO) ? ZERO : chunk;
    }
    return new Image(snapshot);
  }

  /**
   * The data segments as {@code memory.init} sees them now (those dropped are empty), or null
   * before {@link #initialize}.
   */
  DataSegment[] dataSegments() {
    return dataSegments;
  }

  /** Publishes this memory's current content as the image, then views it like any later run. */
  private void takeImage() {
    byte[][] snapshot = new byte[chunks.length][];
    for (int i = 0; i < chunks.length; i++) {
      byte[] chunk = chunks[i];
      snapshot[i] = chunk == ZERO || Arrays.equals(chunk, ZERO) ? ZERO : chunk.clone();
    }
    image.chunks = snapshot;
    releaseOwnBuffers();
    System.arraycopy(snapshot, 0, chunks, 0, snapshot.length);
  }

  @Override
  public int grow(int size) {
    int before = pages;
    long after = (long) before + Integer.toUnsignedLong(size);
    if (after > maxPages) {
      return -1;
    }
    if (size == 0) {
      return before;
    }
    if (!growth.growing((long) size * PAGE_SIZE, after * PAGE_SIZE)) {
      return -1;
    }
    if (flat != null) {
      if ((long) size * PAGE_SIZE >= flat.length / 8) {
        flat = Arrays.copyOf(flat, (int) after * PAGE_SIZE);
        pages = (int) after;
        return before;
      }
      leaveFlat();
    }
    int newChunks = (int) after * CHUNKS_PER_PAGE;
    byte[][] grownChunks = Arrays.copyOf(chunks, newChunks);
    Arrays.fill(grownChunks, chunks.length, newChunks, ZERO);
    own = Arrays.copyOf(own, newChunks);
    chunks = grownChunks;
    pages = (int) after;
    allZero = false;
    return before;
  }

  @Override
  public int pages() {
    return pages;
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return maxPages;
  }

  @Override
  public boolean shared() {
    return false;
  }

  private int sizeInBytes() {
    return pages * PAGE_SIZE; // at most RUNTIME_MAX_PAGES: fits in an int
  }

  // ---------------------------------------------------------------------------------------------
  // Copy on write

  /**
   * The writable buffer of the chunk holding {@code addr}: its own, or a copy made now; or null if
   * the memory went flat instead, and the caller must write to {@link #flat}.
   */
  private byte[] writable(int addr, int size) {
    int index = addr >>> CHUNK_SHIFT;
    byte[][] o = own;
    if (index < o.length) {
      byte[] chunk = o[index];
      if (chunk != null) {
        return chunk;
      }
    }
    return copyChunk(addr, size);
  }

  private byte[] copyChunk(int addr, int size) {
    int index = addr >>> CHUNK_SHIFT;
    if (index >= chunks.length) {
      throw outOfBounds(addr, size);
    }
    if (!wentFlat
        && initialised
        && ownedCount >= flatMinChunks
        && ownedCount >= chunks.length - ownedCount) {
      goFlat();
      return null;
    }
    byte[] copy = spareOrNewBuffer();
    System.arraycopy(chunks[index], 0, copy, 0, CHUNK_SIZE);
    own(index, copy);
    allZero = false;
    return copy;
  }

  private byte[] spareOrNewBuffer() {
    if (spareCount == 0) {
      return new byte[CHUNK_SIZE];
    }
    byte[] buffer = spares[--spareCount];
    spares[spareCount] = null;
    return buffer;
  }

  /** Chunk {@code index} is {@code buffer}, this memory's own. */
  private void own(int index, byte[] buffer) {
    chunks[index] = buffer;
    own[index] = buffer;
    if (ownedCount == owned.length) {
      owned = Arrays.copyOf(owned, owned.length * 2);
    }
    owned[ownedCount++] = index;
  }

  /** This memory's own buffers become spares, and every chunk reads its shared view again. */
  private void releaseOwnBuffers() {
    byte[][] o = own;
    for (int i = 0; i < ownedCount; i++) {
      int index = owned[i];
      keepSpare(o[index]);
      o[index] = null;
    }
    ownedCount = 0;
  }

  /** Copies every chunk into one array, which all accesses use from now on. */
  private void goFlat() {
    byte[] f = new byte[sizeInBytes()];
    byte[][] c = chunks;
    for (int i = 0; i < c.length; i++) {
      if (c[i] != ZERO) {
        System.arraycopy(c[i], 0, f, i << CHUNK_SHIFT, CHUNK_SIZE);
      }
    }
    releaseOwnBuffers();
    Arrays.fill(c, null); // not read while flat: a stray chunk access fails loudly
    flat = f;
    wentFlat = true;
  }

  /** Back to chunks, all of them this memory's own (before a small growth of a flat memory). */
  private void leaveFlat() {
    byte[] f = flat;
    int count = pages * CHUNKS_PER_PAGE; // a flat memory may have grown
    if (chunks.length != count) {
      chunks = new byte[count][];
      own = new byte[count][];
    }
    for (int i = 0; i < count; i++) {
      byte[] copy = spareOrNewBuffer();
      System.arraycopy(f, i << CHUNK_SHIFT, copy, 0, CHUNK_SIZE);
      own(i, copy);
    }
    flat = null;
  }

  private void keepSpare(byte[] buffer) {
    if (spareCount < maxSpares) {
      if (spareCount == spares.length) {
        spares = Arrays.copyOf(spares, Math.min(spares.length * 2, maxSpares));
      }
      spares[spareCount++] = buffer;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Bounds

  private WasmRuntimeException outOfBounds(int addr, int size) {
    return new WasmRuntimeException(
        "out of bounds memory access: attempted to access address: "
            + Integer.toUnsignedString(addr)
            + " but limit is: "
            + sizeInBytes()
            + " and size: "
            + size);
  }

  private void checkBounds(int addr, int size) {
    if (size < 0 || addr < 0 || addr > sizeInBytes() - size) {
      throw outOfBounds(addr, size);
    }
  }

  private byte[] readable(int addr, int size) {
    int index = addr >>> CHUNK_SHIFT;
    byte[][] c = chunks;
    if (index >= c.length) {
      throw outOfBounds(addr, size);
    }
    return c[index];
  }

  // ---------------------------------------------------------------------------------------------
  // Single values: one array access, in the flat array or in the value's chunk. Each accessor has
  // one VarHandle access only, whatever the mode: the JIT inlines the whole access path into a
  // guest's function at every load and store, and with two paths per accessor a large guest
  // function ran out of the JIT's inlining budget (SHA-256 then ran twice as long). Flat, the
  // array's own bounds check is wasm's (past the end, or negative: IndexOutOfBoundsException). In
  // chunks, a value that straddles two chunks goes byte by byte, and a write that makes the memory
  // go flat is done again on the array.

  @Override
  public byte read(int addr) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      array = readable(addr, 1);
      at = addr & CHUNK_MASK;
    }
    try {
      return array[at];
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 1);
    }
  }

  @Override
  public void writeByte(int addr, byte data) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      array = writable(addr, 1);
      if (array == null) {
        writeByte(addr, data);
        return;
      }
      at = addr & CHUNK_MASK;
    }
    try {
      array[at] = data;
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 1);
    }
  }

  @Override
  public short readShort(int addr) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      at = addr & CHUNK_MASK;
      if (at > CHUNK_SIZE - 2) {
        return (short) readAcross(addr, 2);
      }
      array = readable(addr, 2);
    }
    try {
      return (short) SHORT.get(array, at);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 2);
    }
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xFFFFL;
  }

  @Override
  public void writeShort(int addr, short data) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      at = addr & CHUNK_MASK;
      if (at > CHUNK_SIZE - 2) {
        writeAcross(addr, data, 2);
        return;
      }
      array = writable(addr, 2);
      if (array == null) {
        writeShort(addr, data);
        return;
      }
    }
    try {
      SHORT.set(array, at, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 2);
    }
  }

  @Override
  public int readInt(int addr) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      at = addr & CHUNK_MASK;
      if (at > CHUNK_SIZE - 4) {
        return (int) readAcross(addr, 4);
      }
      array = readable(addr, 4);
    }
    try {
      return (int) INT.get(array, at);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 4);
    }
  }

  @Override
  public void writeI32(int addr, int data) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      at = addr & CHUNK_MASK;
      if (at > CHUNK_SIZE - 4) {
        writeAcross(addr, data, 4);
        return;
      }
      array = writable(addr, 4);
      if (array == null) {
        writeI32(addr, data);
        return;
      }
    }
    try {
      INT.set(array, at, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 4);
    }
  }

  @Override
  public long readLong(int addr) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      at = addr & CHUNK_MASK;
      if (at > CHUNK_SIZE - 8) {
        return readAcross(addr, 8);
      }
      array = readable(addr, 8);
    }
    try {
      return (long) LONG.get(array, at);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 8);
    }
  }

  @Override
  public void writeLong(int addr, long data) {
    byte[] array = flat;
    int at = addr;
    if (array == null) {
      at = addr & CHUNK_MASK;
      if (at > CHUNK_SIZE - 8) {
        writeAcross(addr, data, 8);
        return;
      }
      array = writable(addr, 8);
      if (array == null) {
        writeLong(addr, data);
        return;
      }
    }
    try {
      LONG.set(array, at, data);
    } catch (IndexOutOfBoundsException e) {
      throw outOfBounds(addr, 8);
    }
  }

  /** A little-endian value of {@code size} bytes that straddles two chunks, byte by byte. */
  private long readAcross(int addr, int size) {
    checkBounds(addr, size);
    long value = 0;
    for (int i = size - 1; i >= 0; i--) {
      value = (value << 8) | (read(addr + i) & 0xFFL);
    }
    return value;
  }

  private void writeAcross(int addr, long data, int size) {
    checkBounds(addr, size);
    for (int i = 0; i < size; i++) {
      writeByte(addr + i, (byte) (data >>> (8 * i)));
    }
  }

  @Override
  public float readFloat(int addr) {
    return Float.intBitsToFloat(readInt(addr)); // raw bits, as the int is stored
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public void writeF32(int addr, float data) {
    writeI32(addr, Float.floatToRawIntBits(data));
  }

  @Override
  public double readDouble(int addr) {
    return Double.longBitsToDouble(readLong(addr));
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    writeLong(addr, Double.doubleToRawLongBits(data));
  }

  // ---------------------------------------------------------------------------------------------
  // Ranges: bounds are checked first, so a flat array access cannot fail.

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    if (offset < 0 || size < 0 || offset > data.length - size) {
      throw new WasmRuntimeException(
          "out of bounds access: offset " + offset + " and size " + size + " of " + data.length);
    }
    checkBounds(addr, size);
    while (size > 0) {
      byte[] f = flat;
      if (f != null) {
        System.arraycopy(data, offset, f, addr, size);
        return;
      }
      int off = addr & CHUNK_MASK;
      int n = Math.min(size, CHUNK_SIZE - off);
      byte[] chunk = writable(addr, n);
      if (chunk == null) {
        continue; // went flat: the rest goes to the array
      }
      System.arraycopy(data, offset, chunk, off, n);
      addr += n;
      offset += n;
      size -= n;
    }
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    byte[] result = new byte[len];
    read(addr, result, 0, len);
    return result;
  }

  /** Copies {@code len} bytes at {@code addr} into {@code dst} from {@code offset}. */
  void read(int addr, byte[] dst, int offset, int len) {
    checkBounds(addr, len);
    if (offset < 0 || len < 0 || offset > dst.length - len) {
      throw new IndexOutOfBoundsException(
          "offset " + offset + " and length " + len + " of " + dst.length);
    }
    byte[] f = flat;
    if (f != null) {
      System.arraycopy(f, addr, dst, offset, len);
      return;
    }
    int at = offset;
    int end = offset + len;
    while (at < end) {
      int off = addr & CHUNK_MASK;
      int n = Math.min(end - at, CHUNK_SIZE - off);
      System.arraycopy(chunks[addr >>> CHUNK_SHIFT], off, dst, at, n);
      addr += n;
      at += n;
    }
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    int size = toIndex - fromIndex;
    checkBounds(fromIndex, size);
    int addr = fromIndex;
    while (size > 0) {
      byte[] f = flat;
      if (f != null) {
        Arrays.fill(f, addr, addr + size, value);
        return;
      }
      int off = addr & CHUNK_MASK;
      int n = Math.min(size, CHUNK_SIZE - off);
      // Zeroing a chunk that reads as zero already need not copy it.
      if (value != 0 || chunks[addr >>> CHUNK_SHIFT] != ZERO) {
        byte[] chunk = writable(addr, n);
        if (chunk == null) {
          continue; // went flat: the rest goes to the array
        }
        Arrays.fill(chunk, off, off + n, value);
      }
      addr += n;
      size -= n;
    }
  }

  /**
   * Copies like memmove. If the memory goes flat midway, the part not copied yet is copied on the
   * array: it does not overlap what was already written (that lies beyond it in the direction of
   * the copy).
   */
  @Override
  public void copy(int dest, int src, int size) {
    checkBounds(dest, size);
    checkBounds(src, size);
    if (flat != null) {
      System.arraycopy(flat, src, flat, dest, size);
    } else if (dest > src && dest < src + size) {
      // Overlapping, destination after source: from the end backwards.
      int d = dest + size;
      int s = src + size;
      while (size > 0) {
        int dIn = d & CHUNK_MASK;
        int sIn = s & CHUNK_MASK;
        int n = Math.min(size, Math.min(dIn == 0 ? CHUNK_SIZE : dIn, sIn == 0 ? CHUNK_SIZE : sIn));
        byte[] to = writable(d - n, n); // first: it may replace the source chunk by its copy
        if (to == null) {
          System.arraycopy(flat, src, flat, dest, size);
          return;
        }
        d -= n;
        s -= n;
        System.arraycopy(chunks[s >>> CHUNK_SHIFT], s & CHUNK_MASK, to, d & CHUNK_MASK, n);
        size -= n;
      }
    } else {
      while (size > 0) {
        int dOff = dest & CHUNK_MASK;
        int sOff = src & CHUNK_MASK;
        int n = Math.min(size, CHUNK_SIZE - Math.max(dOff, sOff));
        byte[] to = writable(dest, n);
        if (to == null) {
          System.arraycopy(flat, src, flat, dest, size);
          return;
        }
        System.arraycopy(chunks[src >>> CHUNK_SHIFT], sOff, to, dOff, n);
        dest += n;
        src += n;
        size -= n;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Passive data segments

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    write(dest, dataSegments[segmentId].data(), offset, size);
  }

  @Override
  public void drop(int segment) {
    // The array is the instance's; copy it before the first change so no other run sees it.
    if (!segmentsCopied) {
      dataSegments = dataSegments.clone();
      segmentsCopied = true;
    }
    dataSegments[segment] = PassiveDataSegment.EMPTY;
  }

  // ---------------------------------------------------------------------------------------------
  // Atomics on an unshared memory: the interface's defaults, serialised on this memory.

  @Override
  @SuppressWarnings("removal")
  public Object lock(int address) {
    return this;
  }

  @Override
  public int waitOn(int address, int expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  public int waitOn(int address, long expected, long timeout) {
    throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  public int notify(int address, int maxThreads) {
    return 0;
  }
}
