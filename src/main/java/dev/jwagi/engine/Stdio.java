package dev.jwagi.engine;

import com.dylibso.chicory.runtime.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * fd_read on stdin and fd_write on stdout/stderr, moved through a fixed buffer. Chicory's own
 * versions allocate an array as large as each buffer the guest names (a guest may name most of its
 * memory), which would bypass the memory budget; these never hold more than {@link #PIECE} bytes of
 * a call at once. Other descriptors, and stdio once the guest closed or renumbered one of 0-2, go
 * to Chicory.
 */
final class Stdio {
  static final int PIECE = 64 * 1024;

  /** WASI preview1 errno values. */
  private static final int ESUCCESS = 0;

  private static final int EIO = 29;

  private final InputStream stdin;
  private final OutputStream stdout;
  private final OutputStream stderr;
  private boolean intact = true;
  private byte[] buffer;

  Stdio(InputStream stdin, OutputStream stdout, OutputStream stderr) {
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
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

  int read(Memory memory, int iovs, int iovsLen, int nreadPtr) {
    byte[] piece = buffer();
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
        return EIO;
      }
    }
    memory.writeI32(nreadPtr, (int) total);
    return ESUCCESS;
  }

  int write(Memory memory, int fd, int iovs, int iovsLen, int nwrittenPtr) {
    OutputStream out = fd == 1 ? stdout : stderr;
    long total = 0;
    try {
      for (int i = 0; i < iovsLen; i++) {
        int base = memory.readInt(iovs + i * 8);
        int length = memory.readInt(iovs + i * 8 + 4);
        for (int done = 0; done < length; ) {
          int n = Math.min(PIECE, length - done);
          out.write(memory.readBytes(base + done, n));
          done += n;
          total += n;
        }
      }
    } catch (IOException e) {
      return EIO;
    }
    memory.writeI32(nwrittenPtr, (int) total);
    return ESUCCESS;
  }

  private byte[] buffer() {
    if (buffer == null) {
      buffer = new byte[PIECE];
    }
    return buffer;
  }
}
