package dev.jwagi.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Strings as a C program receives its argv or environ: UTF-8, each ending in a NUL, back to back in
 * one byte block, in order. This is the layout WASI's {@code args_get} and {@code environ_get} copy
 * into a guest's memory, so the engine copies the block as it is and only adds the pointers.
 * Immutable once built; a {@link #deferred} block is built when it is first read.
 */
public final class StringBlock {
  public static final StringBlock EMPTY = new Builder(0).build();

  private final byte[] bytes;
  private final int length;
  private final int[] starts;
  private final int count;

  /** For a deferred block: what builds it; null for a built one. */
  private final Supplier<StringBlock> recipe;

  /** For a deferred block: the block, once built (its fields are final: safely published). */
  private volatile StringBlock built;

  private StringBlock(byte[] bytes, int length, int[] starts, int count) {
    this.bytes = bytes;
    this.length = length;
    this.starts = starts;
    this.count = count;
    this.recipe = null;
  }

  private StringBlock(Supplier<StringBlock> recipe) {
    this.bytes = null;
    this.length = 0;
    this.starts = null;
    this.count = 0;
    this.recipe = recipe;
  }

  /**
   * A block built by {@code recipe} when it is first read, on the reading thread: for a block a
   * guest may never ask for (many read neither their arguments nor their environment). The recipe
   * must give the same block whenever it runs (it may run twice if two threads read at once).
   */
  public static StringBlock deferred(Supplier<StringBlock> recipe) {
    return new StringBlock(java.util.Objects.requireNonNull(recipe, "recipe"));
  }

  /** Whether the block has been built (always, unless {@link #deferred} and not yet read). */
  public boolean isBuilt() {
    return recipe == null || built != null;
  }

  /** The block with the strings: this one, or the deferred one built now. */
  private StringBlock block() {
    if (recipe == null) {
      return this;
    }
    StringBlock b = built;
    if (b == null) {
      b = recipe.get().block();
      built = b;
    }
    return b;
  }

  /** A block of {@code strings}, in order. */
  public static StringBlock of(List<String> strings) {
    var b = new Builder(64);
    for (String s : strings) {
      b.add(s);
    }
    return b.build();
  }

  /** How many strings. */
  public int count() {
    return block().count;
  }

  /** Bytes of the block, NULs included. */
  public int byteLength() {
    return block().length;
  }

  /** Where string {@code i} starts in the block. */
  public int start(int i) {
    StringBlock b = block();
    if (i < 0 || i >= b.count) {
      throw new IndexOutOfBoundsException(i);
    }
    return b.starts[i];
  }

  /**
   * The block's bytes: the first {@link #byteLength()} of this array (not copied, so never to be
   * changed).
   */
  public byte[] bytes() {
    return block().bytes;
  }

  /** The strings, decoded (for tests and diagnostics; requests never decode). */
  public List<String> toList() {
    StringBlock b = block();
    List<String> list = new ArrayList<>(b.count);
    for (int i = 0; i < b.count; i++) {
      int end = i + 1 < b.count ? b.starts[i + 1] - 1 : b.length - 1;
      list.add(new String(b.bytes, b.starts[i], end - b.starts[i], StandardCharsets.UTF_8));
    }
    return list;
  }

  /** {@code NAME=value} strings as an unmodifiable map, in order (a later repeat wins). */
  public Map<String, String> toMap() {
    Map<String, String> map = new LinkedHashMap<>();
    for (String s : toList()) {
      int eq = s.indexOf('=');
      map.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
    }
    return Collections.unmodifiableMap(map);
  }

  @Override
  public String toString() {
    return toList().toString();
  }

  /** Encodes a string's UTF-8 bytes once, for a part that does not change between requests. */
  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Builds a block. A string is built from parts ({@link #append}) and ended by {@link #end()}; the
   * {@code add} methods do both.
   */
  public static final class Builder {
    private byte[] bytes;
    private int length;
    private int[] starts;
    private int count;
    private boolean open;

    public Builder(int expectedBytes) {
      this(expectedBytes, 8);
    }

    /** A builder sized for about this many bytes and strings (it grows if they are more). */
    public Builder(int expectedBytes, int expectedStrings) {
      bytes = new byte[Math.max(expectedBytes, 16)];
      starts = new int[Math.max(expectedStrings, 4)];
    }

    /** Appends {@code s}, UTF-8 encoded, to the current string. */
    public Builder append(String s) {
      return append(s, 0, s.length());
    }

    /** Appends {@code s.substring(from, to)}, UTF-8 encoded, to the current string. */
    public Builder append(String s, int from, int to) {
      begin();
      ensure(to - from);
      byte[] b = bytes;
      int at = length;
      for (int i = from; i < to; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          length = at;
          return append(utf8(s.substring(i, to)));
        }
        b[at++] = (byte) c;
      }
      length = at;
      return this;
    }

    /** Appends bytes that are already UTF-8 to the current string. */
    public Builder append(byte[] utf8) {
      begin();
      ensure(utf8.length);
      System.arraycopy(utf8, 0, bytes, length, utf8.length);
      length += utf8.length;
      return this;
    }

    public Builder append(char ascii) {
      begin();
      ensure(1);
      bytes[length++] = (byte) ascii;
      return this;
    }

    public Builder append(int number) {
      return append((long) number);
    }

    /** Appends {@code number} in decimal, written straight into the block. */
    public Builder append(long number) {
      if (number < 0) {
        if (number == Long.MIN_VALUE) {
          return append(Long.toString(number));
        }
        append('-');
        number = -number;
      }
      int digits = 1;
      for (long n = number; n >= 10; n /= 10) {
        digits++;
      }
      begin();
      ensure(digits);
      for (int i = length + digits - 1; i >= length; i--) {
        bytes[i] = (byte) ('0' + number % 10);
        number /= 10;
      }
      length += digits;
      return this;
    }

    /** Ends the current string (an empty one if nothing was appended). */
    public Builder end() {
      begin();
      ensure(1);
      bytes[length++] = 0;
      open = false;
      return this;
    }

    public Builder add(String s) {
      return append(s).end();
    }

    /** Adds {@code NAME=value}, the prefix {@code NAME=} given encoded. */
    public Builder add(byte[] namePrefix, String value) {
      return append(namePrefix).append(value).end();
    }

    /** Adds whole strings encoded earlier: each ends in a NUL ({@link #encode}). */
    public Builder addEncoded(Encoded strings) {
      if (open) {
        throw new IllegalStateException("a string is not ended");
      }
      ensure(strings.bytes.length);
      for (int i = 0; i < strings.offsets.length; i++) {
        begin();
        open = false;
        starts[count - 1] = length + strings.offsets[i];
      }
      System.arraycopy(strings.bytes, 0, bytes, length, strings.bytes.length);
      length += strings.bytes.length;
      return this;
    }

    public StringBlock build() {
      if (open) {
        throw new IllegalStateException("a string is not ended");
      }
      return new StringBlock(bytes, length, starts, count);
    }

    private void begin() {
      if (!open) {
        if (count == starts.length) {
          starts = Arrays.copyOf(starts, count * 2);
        }
        starts[count++] = length;
        open = true;
      }
    }

    private void ensure(int more) {
      if (length + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
      }
    }
  }

  /** Whole strings encoded once, to be added to many blocks ({@link Builder#addEncoded}). */
  public static final class Encoded {
    private final byte[] bytes;
    private final int[] offsets;

    private Encoded(byte[] bytes, int[] offsets) {
      this.bytes = bytes;
      this.offsets = offsets;
    }

    public boolean isEmpty() {
      return offsets.length == 0;
    }
  }

  /** Encodes {@code strings} once (each gets its NUL). */
  public static Encoded encode(List<String> strings) {
    StringBlock block = of(strings);
    return new Encoded(
        Arrays.copyOf(block.bytes, block.length), Arrays.copyOf(block.starts, block.count));
  }
}
