package dev.jwagi.engine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A guest's stdout or stderr as a stream, for Chicory's WASI (descriptors it handles itself): every
 * write goes through {@link Stdio#out}, which enforces the output cap.
 */
final class BoundedOutput extends OutputStream {
  /** Thrown through the guest's fd_write; unwinds the guest. */
  static final class LimitExceeded extends RuntimeException {
    LimitExceeded(String message) {
      super(message, null, false, false);
    }
  }

  private final Stdio stdio;
  private final int fd;

  BoundedOutput(Stdio stdio, int fd) {
    this.stdio = stdio;
    this.fd = fd;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    stdio.out(fd, b, off, len);
  }

  @Override
  public void write(int b) throws IOException {
    stdio.out(fd, new byte[] {(byte) b}, 0, 1);
  }
}
