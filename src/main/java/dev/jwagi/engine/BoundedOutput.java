package dev.jwagi.engine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A guest's stdout or stderr on its way to {@code target}: stops the guest as soon as it writes
 * past the cap, rather than passing on unbounded output first.
 */
final class BoundedOutput extends OutputStream {
  /** Thrown through the guest's fd_write; unwinds the guest. */
  static final class LimitExceeded extends RuntimeException {
    LimitExceeded(String message) {
      super(message, null, false, false);
    }
  }

  private final OutputStream target;
  private final long cap;
  private final String streamName;
  private long count;

  BoundedOutput(OutputStream target, long cap, String streamName) {
    this.target = target;
    this.cap = cap;
    this.streamName = streamName;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    checkRoom(len);
    count += len;
    target.write(b, off, len);
  }

  @Override
  public void write(int b) throws IOException {
    checkRoom(1);
    count++;
    target.write(b);
  }

  private void checkRoom(int len) {
    if (count + (long) len > cap) {
      throw new LimitExceeded(streamName + " exceeded " + cap + " bytes");
    }
  }
}
