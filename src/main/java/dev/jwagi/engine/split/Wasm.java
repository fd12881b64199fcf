package dev.jwagi.engine.split;

import java.io.ByteArrayOutputStream;

/** The binary format's primitives: LEB128 reading and writing, value types. */
final class Wasm {
  static final byte I32 = 0x7F;
  static final byte I64 = 0x7E;
  static final byte F32 = 0x7D;
  static final byte F64 = 0x7C;
  static final byte V128 = 0x7B;
  static final byte FUNCREF = 0x70;
  static final byte EXTERNREF = 0x6F;

  private Wasm() {}

  static boolean isValType(int b) {
    return b == I32
        || b == I64
        || b == F32
        || b == F64
        || b == V128
        || b == FUNCREF
        || b == EXTERNREF;
  }

  /** A cursor over a byte array. */
  static final class Reader {
    final byte[] bytes;
    int pos;
    final int end;

    Reader(byte[] bytes, int pos, int end) {
      this.bytes = bytes;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    int u8() {
      if (pos >= end) {
        throw new Unsupported("unexpected end of bytes");
      }
      return bytes[pos++] & 0xFF;
    }

    int u32() {
      long result = 0;
      int shift = 0;
      while (true) {
        int b = u8();
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
        shift += 7;
        if (shift > 35) {
          throw new Unsupported("LEB128 too long");
        }
      }
      if (result > Integer.MAX_VALUE) {
        throw new Unsupported("u32 out of range");
      }
      return (int) result;
    }

    /** A signed LEB128 of up to 64 bits (s33 block types included). */
    long sleb() {
      long result = 0;
      int shift = 0;
      int b;
      do {
        b = u8();
        result |= (long) (b & 0x7F) << shift;
        shift += 7;
      } while ((b & 0x80) != 0 && shift < 70);
      if (shift < 64 && (b & 0x40) != 0) {
        result |= -1L << shift;
      }
      return result;
    }

    void skip(int n) {
      if (pos + n > end) {
        throw new Unsupported("unexpected end of bytes");
      }
      pos += n;
    }
  }

  /** Appends LEB128 and raw bytes. */
  static final class Writer extends ByteArrayOutputStream {
    Writer() {
      super(256);
    }

    Writer u32(int value) {
      long v = value & 0xFFFFFFFFL;
      do {
        int b = (int) (v & 0x7F);
        v >>>= 7;
        write(v != 0 ? b | 0x80 : b);
      } while (v != 0);
      return this;
    }

    Writer sleb(long value) {
      while (true) {
        int b = (int) (value & 0x7F);
        value >>= 7;
        boolean done = (value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0);
        write(done ? b : b | 0x80);
        if (done) {
          return this;
        }
      }
    }

    Writer u8(int b) {
      write(b);
      return this;
    }

    Writer bytes(byte[] b) {
      write(b, 0, b.length);
      return this;
    }

    Writer bytes(byte[] b, int from, int to) {
      write(b, from, to - from);
      return this;
    }

    /** Appends {@code body} as a length-prefixed item (a section or a function body). */
    Writer sized(Writer body) {
      u32(body.size());
      write(body.buf, 0, body.count);
      return this;
    }
  }

  /** A construct the splitter does not handle: the function (or module) is left as it is. */
  static final class Unsupported extends RuntimeException {
    Unsupported(String message) {
      super(message, null, false, false);
    }
  }
}
