package dev.jwagi.http;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A request body on its way from the connection (event loop) to the guest's stdin (worker). The
 * connection keeps reading whatever the guest's pace: what the guest has not read yet stays in
 * memory up to {@link #WINDOW} bytes and beyond goes to a spool file ({@link Spool}), read back in
 * order. So a client that sends its whole body before it reads the response never waits for the
 * guest, and a guest that writes while it reads never waits for such a client. Reading pauses only
 * when the spool's disk budget is full ({@link #isPaused}): then the connection waits briefly for
 * room ({@link #retrySpool}) and answers 503 if none comes.
 */
final class RequestBody extends InputStream {
  /** Bytes held in memory at most (one socket read more while the spool is full). */
  static final int WINDOW = 64 * 1024;

  /** The disk budget is reserved a step at a time, as the spool file grows. */
  static final long SPOOL_STEP = 1 << 20;

  /** One read from the spool file takes at most this (it runs under the lock). */
  private static final int MAX_FILE_READ = 64 * 1024;

  /** Bytes in memory, or a stretch of the spool file. */
  private static final class Segment {
    final byte[] bytes; // null: in the file
    final long filePosition;
    long length;
    long taken;

    Segment(byte[] bytes) {
      this.bytes = bytes;
      this.filePosition = -1;
      this.length = bytes.length;
    }

    Segment(long filePosition, long length) {
      this.bytes = null;
      this.filePosition = filePosition;
      this.length = length;
    }
  }

  private final Spool spool;
  private final Runnable resume;
  private final ArrayDeque<Segment> segments = new ArrayDeque<>(4);

  /** Unread bytes in memory, and in the file. */
  private int inMemory;

  private long inFile;

  private Spool.File file;

  /** Where the next spooled bytes go; back to 0 once the reader has caught up with the file. */
  private long fileEnd;

  private long reservedDisk;
  private long spooledTotal;
  private boolean ended;
  private String error;
  private boolean closed;
  private boolean paused;
  private long read;

  /**
   * @param resume called from the reading thread when a paused body has room again
   */
  RequestBody(Spool spool, Runnable resume) {
    this.spool = spool;
    this.resume = resume;
  }

  // --- the connection's side (event loop) ---

  /**
   * Takes the bytes of one piece of the body: into memory while the window has room, else into the
   * spool. Returns false when neither had room (they are held in memory all the same): stop reading
   * until {@code resume} or {@link #retrySpool}. Throws if the spool file cannot be written.
   */
  synchronized boolean add(ByteBuf content) throws IOException {
    int n = content.readableBytes();
    if (closed || error != null || n == 0) {
      return true; // the reader is done: the rest of the body is read and dropped
    }
    byte[] bytes = new byte[n];
    content.getBytes(content.readerIndex(), bytes);
    if (inMemory + n <= WINDOW || !spoolRoom(n)) {
      segments.add(new Segment(bytes));
      inMemory += n;
      paused = inMemory > WINDOW;
    } else {
      file.write(fileEnd, bytes, 0, n);
      Segment last = segments.peekLast();
      if (last != null && last.bytes == null && last.filePosition + last.length == fileEnd) {
        last.length += n;
      } else {
        segments.add(new Segment(fileEnd, n));
      }
      fileEnd += n;
      inFile += n;
      spooledTotal += n;
    }
    notifyAll();
    return !paused;
  }

  /** Whether the file can take {@code n} more bytes (disk budget reserved, file open). */
  private boolean spoolRoom(long n) throws IOException {
    while (fileEnd + n > reservedDisk) {
      if (!spool.tryReserve(SPOOL_STEP)) {
        return false;
      }
      reservedDisk += SPOOL_STEP;
    }
    if (file == null) {
      file = spool.open();
    }
    return true;
  }

  /** Whether reading must pause: the window is full and the spool had no room. */
  synchronized boolean isPaused() {
    return paused;
  }

  /**
   * A paused body tries the spool's budget again; true (and no longer paused) if there is room for
   * another step now.
   */
  synchronized boolean retrySpool() {
    if (paused && spool.tryReserve(SPOOL_STEP)) {
      reservedDisk += SPOOL_STEP;
      paused = false;
    }
    return !paused;
  }

  /**
   * Whether as much has come as the window holds (a chunked body is dispatched then, without a
   * length).
   */
  synchronized boolean pastWindow() {
    return inMemory >= WINDOW || inFile > 0;
  }

  /** Bytes of this body that went to the spool file. */
  synchronized long spooled() {
    return spooledTotal;
  }

  /** The whole body has arrived. */
  synchronized void end() {
    ended = true;
    notifyAll();
  }

  /**
   * The body breaks off (over the cap, too slow, connection gone): what is held is dropped and the
   * reader gets an error. A body that arrived whole stays readable.
   */
  synchronized void fail(String message) {
    if (!ended && error == null) {
      error = message;
      drop();
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
      while (segments.isEmpty() && !ended && error == null && !closed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // the guest is being stopped
          throw new InterruptedIOException("interrupted while reading the request body");
        }
      }
      if (error != null) {
        throw new IOException(error);
      }
      if (segments.isEmpty()) {
        return -1;
      }
      Segment first = segments.peek();
      int want = (int) Math.min(len, first.length - first.taken);
      if (first.bytes != null) {
        System.arraycopy(first.bytes, (int) first.taken, b, off, want);
        n = want;
        inMemory -= n;
      } else {
        n = file.read(first.filePosition + first.taken, b, off, Math.min(want, MAX_FILE_READ));
        if (n <= 0) {
          throw new IOException("the spooled request body ended early");
        }
        inFile -= n;
        if (inFile == 0) {
          fileEnd = 0; // nothing unread in the file: its space is used again from the start
        }
      }
      first.taken += n;
      if (first.taken == first.length) {
        segments.poll();
      }
      read += n;
      wakeConnection = paused && inMemory <= WINDOW / 2;
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
    return (int) Math.min(Integer.MAX_VALUE, inMemory + inFile);
  }

  /** The reader is done (the guest ended): what is held, and what still arrives, is dropped. */
  @Override
  public void close() {
    boolean wakeConnection;
    synchronized (this) {
      closed = true;
      drop();
      wakeConnection = paused;
      paused = false;
      notifyAll();
    }
    if (wakeConnection) {
      resume.run();
    }
  }

  /** Drops what is held; the spool file is closed (it was unlinked) and its budget released. */
  private void drop() {
    segments.clear();
    inMemory = 0;
    inFile = 0;
    if (file != null) {
      file.close();
      file = null;
    }
    if (reservedDisk > 0) {
      spool.release(reservedDisk); // most bodies never reach the spool: no shared write for them
      reservedDisk = 0;
    }
    fileEnd = 0;
  }

  /** Body bytes the reader has taken. */
  synchronized long bytesRead() {
    return read;
  }
}
