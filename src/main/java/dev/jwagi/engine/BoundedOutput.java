package dev.jwagi.engine;

import java.io.ByteArrayOutputStream;

/**
 * Collects a guest's stdout or stderr and stops the guest as soon as it writes past the cap, rather
 * than buffering unbounded output first.
 */
final class BoundedOutput extends ByteArrayOutputStream {
  /** Thrown through the guest's fd_write; unwinds the guest. */
  static final class LimitExceeded extends RuntimeException {
    LimitExceeded(String message) {
      super(message, null, false, false);
    }
  }

  private final long cap;
  private final String streamName;

  BoundedOutput(long cap, String streamName) {
    super(256);
    this.cap = cap;
    this.streamName = streamName;
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    checkRoom(len);
    super.write(b, off, len);
  }

  @Override
  public synchronized void write(int b) {
    checkRoom(1);
    super.write(b);
  }

  private void checkRoom(int len) {
    if (count + (long) len > cap) {
      throw new LimitExceeded(streamName + " exceeded " + cap + " bytes");
    }
  }
}
