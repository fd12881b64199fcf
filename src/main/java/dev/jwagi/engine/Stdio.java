package dev.jwagi.engine;

import com.dylibso.chicory.runtime.Memory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A guest run's standard streams: fd_read on stdin and fd_write on stdout/stderr, moved through a
 * fixed buffer, and the one place the output cap on stdout and stderr is enforced ({@link #out}).
 * Chicory's own fd_read/fd_write allocate an array as large as each buffer the guest names (a guest
 * may name most of its memory), which would bypass the memory budget; these never hold more than
 * {@link #PIECE} bytes of a call at once. Other descriptors, and stdio once the guest closed or
 * renumbered one of 0-2, go to Chicory, whose streams ({@link #stream}) pass through {@link #out}
 * too.
 */
final class Stdio {
  static final int PIECE = 16 * 1024;

  /**
   * Each thread's buffer for moving a piece between a guest's memory and a stream, made once per
   * thread that runs guests (their number is bounded) instead of once per run or call. Only the
   * bytes of the current call are ever read from it, so nothing of an earlier run can leak.
   */
  private static final ThreadLocal<byte[]> PIECES = ThreadLocal.withInitial(() -> new byte[PIECE]);

  /** This thread's piece buffer, for any host call that moves bytes in and out of a guest. */
  static byte[] piece() {
    return PIECES.get();
  }

  /** Copies {@code n} bytes of guest memory at {@code address} into {@code piece}. */
  static void copyOut(Memory memory, int address, byte[] piece, int n) {
    if (memory instanceof CowMemory) {
      ((CowMemory) memory).read(address, piece, 0, n);
    } else {
      System.arraycopy(memory.readBytes(address, n), 0, piece, 0, n);
    }
  }

  /** The stderr of a run that wrote none (an empty array cannot be changed: shared). */
  private static final byte[] NO_BYTES = new byte[0];

  private final InputStream stdin;
  private final OutputStream stdout;

  /** Where stderr goes; null: collected for the run's result ({@link #collectedStderr}). */
  private final OutputStream stderr;

  private final long cap;
  private long stdoutBytes;
  private long stderrBytes;
  private ByteArrayOutputStream collected;
  private boolean intact = true;

  /**
   * @param stderr where the guest's stderr goes as it comes; null collects it
   * @param cap the most bytes the guest may write to stdout, and to stderr (each)
   */
  Stdio(InputStream stdin, OutputStream stdout, OutputStream stderr, long cap) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    this.cap = cap;
  }

  InputStream stdin() {
    return stdin;
  }

  /** Whether this call is ours (the guest's standard streams, as they were given). */
  boolean handles(int fd, boolean write) {
    return intact && (write ? fd == 1 || fd == 2 : fd == 0);
  }

  /** The guest closes or renumbers descriptors: from then on Chicory tracks stdio. */
  void descriptorChanged(int fd) {
    if (fd <= 2) {
      intact = false;
    }
  }

  /**
   * Passes on bytes the guest wrote to stdout ({@code fd} 1) or stderr (2). Stops the guest (throws
   * {@link BoundedOutput.LimitExceeded} through its fd_write) as soon as it writes past the cap,
   * rather than passing unbounded output on first.
   */
  void out(int fd, byte[] b, int off, int len) throws IOException {
    if (fd == 1) {
      checkRoom(stdoutBytes, len, "stdout");
      stdoutBytes += len;
      stdout.write(b, off, len);
    } else {
      checkRoom(stderrBytes, len, "stderr");
      stderrBytes += len;
      stderrTarget().write(b, off, len);
    }
  }

  private void checkRoom(long written, int len, String stream) {
    if (written + (long) len > cap) {
      throw new BoundedOutput.LimitExceeded(stream + " exceeded " + cap + " bytes");
    }
  }

  private OutputStream stderrTarget() {
    if (stderr != null) {
      return stderr;
    }
    if (collected == null) {
      collected = new ByteArrayOutputStream(256);
    }
    return collected;
  }

  /** Stdout ({@code fd} 1) or stderr (2) as a stream, for Chicory's WASI: through {@link #out}. */
  OutputStream stream(int fd) {
    return new BoundedOutput(this, fd);
  }

  /** What the guest wrote to stderr, if it was collected (else empty). */
  byte[] collectedStderr() {
    return collected == null ? NO_BYTES : collected.toByteArray();
  }

  int read(Memory memory, int iovs, int iovsLen, int nreadPtr) {
    byte[] piece = PIECES.get();
    long total = 0;
    try {
      iovecs:
      for (int i = 0; i < iovsLen; i++) {
        int base = memory.readInt(iovs + i * 8);
        int length = memory.readInt(iovs + i * 8 + 4);
        for (int done = 0; done < length; ) {
          int n = stdin.read(piece, 0, Math.min(PIECE, length - done));
          if (n < 0) {
            break iovecs;
          }
          memory.write(base + done, piece, 0, n);
          done += n;
          total += n;
          if (stdin.available() == 0 && done < length) {
            break iovecs; // a short read: return what is there rather than wait for more
          }
        }
      }
    } catch (IOException e) {
      if (total == 0) {
        return Errno.IO;
      }
    }
    memory.writeI32(nreadPtr, (int) total);
    return Errno.SUCCESS;
  }

  int write(Memory memory, int fd, int iovs, int iovsLen, int nwrittenPtr) {
    // A copy-on-write memory copies into the thread's buffer; Chicory's own, into a new array.
    CowMemory cow = memory instanceof CowMemory ? (CowMemory) memory : null;
    byte[] piece = cow == null ? null : PIECES.get();
    long total = 0;
    try {
      for (int i = 0; i < iovsLen; i++) {
        int base = memory.readInt(iovs + i * 8);
        int length = memory.readInt(iovs + i * 8 + 4);
        for (int done = 0; done < length; ) {
          int n = Math.min(PIECE, length - done);
          if (cow != null) {
            cow.read(base + done, piece, 0, n);
            out(fd, piece, 0, n);
          } else {
            out(fd, memory.readBytes(base + done, n), 0, n);
          }
          done += n;
          total += n;
        }
      }
    } catch (IOException e) {
      return Errno.IO;
    }
    memory.writeI32(nwrittenPtr, (int) total);
    return Errno.SUCCESS;
  }
}
