package dev.jwagi.http;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A request body on its way from the connection (event loop) to the guest's stdin (worker): a
 * bounded buffer. The connection stops reading from the socket while it is full ({@link #isFull})
 * and the reader's progress resumes it ({@code resume}, run on the event loop), so a body of any
 * size passes through a fixed amount of memory.
 */
final class RequestBody extends InputStream {
  /** Bytes held at most (one socket read more may arrive before reading pauses). */
  static final int CAPACITY = 64 * 1024;

  private final Runnable resume;
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>(4);
  private int firstOffset;
  private int held;
  private boolean ended;
  private String error;
  private boolean closed;
  private boolean paused;
  private long read;

  /** resume: called from the reading thread when a full buffer has room again. */
  RequestBody(Runnable resume) {
    this.resume = resume;
  }

  // --- the connection's side (event loop) ---

  /**
   * Adds the bytes of one piece of the body; returns false when the buffer is now full (stop
   * reading until {@code resume}).
   */
  synchronized boolean add(ByteBuf content) {
    int n = content.readableBytes();
    if (closed || n == 0) {
      return true; // the reader is done: the rest of the body is read and dropped
    }
    byte[] bytes = new byte[n];
    content.getBytes(content.readerIndex(), bytes);
    chunks.add(bytes);
    held += n;
    notifyAll();
    paused = held >= CAPACITY;
    return !paused;
  }

  synchronized boolean isFull() {
    return paused;
  }

  /** The whole body has arrived. */
  synchronized void end() {
    ended = true;
    notifyAll();
  }

  /** The body breaks off (over the cap, too slow, connection gone): the reader gets an error. */
  synchronized void fail(String message) {
    if (!ended && error == null) {
      error = message;
      notifyAll();
    }
  }

  /** Whether the body arrived whole (not failed). */
  synchronized boolean complete() {
    return ended && error == null;
  }

  // --- the reader's side (the guest's stdin, on a worker) ---

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    boolean wakeConnection;
    int n;
    synchronized (this) {
      while (chunks.isEmpty() && !ended && error == null && !closed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // the guest is being stopped
          throw new InterruptedIOException("interrupted while reading the request body");
        }
      }
      if (chunks.isEmpty()) {
        if (error != null) {
          throw new IOException(error);
        }
        return -1;
      }
      byte[] first = chunks.peek();
      n = Math.min(len, first.length - firstOffset);
      System.arraycopy(first, firstOffset, b, off, n);
      firstOffset += n;
      if (firstOffset == first.length) {
        chunks.poll();
        firstOffset = 0;
      }
      held -= n;
      read += n;
      wakeConnection = paused && held <= CAPACITY / 2;
      if (wakeConnection) {
        paused = false;
      }
    }
    if (wakeConnection) {
      resume.run();
    }
    return n;
  }

  @Override
  public synchronized int available() {
    return held;
  }

  /** The reader is done (the guest ended): what is held, and what still arrives, is dropped. */
  @Override
  public void close() {
    boolean wakeConnection;
    synchronized (this) {
      closed = true;
      chunks.clear();
      held = 0;
      wakeConnection = paused;
      paused = false;
      notifyAll();
    }
    if (wakeConnection) {
      resume.run();
    }
  }

  /** Body bytes the reader has taken. */
  synchronized long bytesRead() {
    return read;
  }
}
