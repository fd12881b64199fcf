package dev.jwagi.http;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.ResponseSink;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One response on its way from a handler (usually a guest on a worker thread) to the client
 * (README, "Streaming and memory"). It is held back while small and fresh: until its head and
 * {@link #HOLD_BYTES} of body are there, or {@link #PAUSE_NANOS} pass without new output, or the
 * handler ends. A handler that ends within that gets exactly the response it produced or the
 * failure it reported, with a Content-Length. Past it, status and headers are sent and the body
 * streams (chunked); the handler blocks while {@link #CAPACITY} bytes wait for a slow client, and a
 * later failure cuts the response: the connection closes without the last chunk, so the client sees
 * an incomplete body.
 *
 * <p>The handler's calls come from its thread; everything else runs on the connection's event loop,
 * woken by one task per batch of the handler's calls.
 */
final class StreamingResponse implements ResponseSink {
  private static final Logger log = LoggerFactory.getLogger(StreamingResponse.class);

  /** Body bytes held back before the head is sent. */
  static final int HOLD_BYTES = 64 * 1024;

  /** A pause in the output this long sends what is there. */
  static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** Body bytes waiting for the client at most; the handler blocks beyond. */
  static final int CAPACITY = 2 * HOLD_BYTES;

  /**
   * Smallest piece allocated for body bytes: a small response needs no more, and a body written in
   * many small writes fills pieces of this size rather than a list of tiny ones.
   */
  private static final int MIN_CHUNK = 256;

  /** What the connection learns when a response is over. */
  interface Done {
    /**
     * The response is complete and about to be written whole (its last bytes): reported now, so
     * whoever gets the response sees it counted.
     */
    void responseFinishing(StreamingResponse response);

    /** The response is over: written, cut, or dropped (client gone). */
    void responseDone(StreamingResponse response);

    /** The connection is to close once {@code written} (the response's last write) is out. */
    void closeAfter(ChannelFuture written);
  }

  private enum State {
    HOLDING,
    STREAMING,
    DONE
  }

  private final ChannelHandlerContext ctx;
  private final String route;
  private final boolean headRequest;
  private final boolean chunkedAllowed;
  private final Done done;

  // Shared with the handler's thread: guarded by this.
  private CgiResponse head;
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>(4);
  private long queued;
  private boolean ended;
  private CgiResponse failure;
  private String failureCause;
  private boolean wakeScheduled;
  private boolean closed;

  /** Set by the event loop once the head is sent: from then on every write wakes it. */
  private boolean streaming;

  /** When the handler started (System.nanoTime), and how long it took to end the response. */
  private long handlerStarted;

  private long handlerNanos;

  /** When the handler last produced output (the event loop's ticker). */
  private long lastOutput;

  // Event loop only.
  private State state = State.HOLDING;
  private boolean keepAlive;
  private ScheduledFuture<?> pauseTimer;
  private int status;
  private long bytesOut;
  private boolean complete;
  private boolean pumping;
  private boolean pauseExpired;
  private boolean pumpAgain;
  private ChannelFuture lastWrite;

  /**
   * @param route for log lines, or null
   * @param chunkedAllowed whether the client takes a chunked body (HTTP/1.1); without, a streamed
   *     body ends by closing the connection
   */
  StreamingResponse(
      ChannelHandlerContext ctx,
      String route,
      boolean headRequest,
      boolean chunkedAllowed,
      boolean keepAlive,
      Done done) {
    this.ctx = ctx;
    this.route = route;
    this.headRequest = headRequest;
    this.chunkedAllowed = chunkedAllowed;
    this.keepAlive = keepAlive;
    this.done = done;
  }

  // --- the handler's side ---

  @Override
  public synchronized void head(CgiResponse head) {
    this.head = head;
    lastOutput = ctx.executor().ticker().nanoTime();
  }

  @Override
  public void body(byte[] bytes, int offset, int length) throws IOException {
    synchronized (this) {
      while (length > 0) {
        // Never more than CAPACITY waits, however much one write brings: the rest waits here.
        while (queued >= CAPACITY && !closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the handler is being stopped
            throw new InterruptedIOException("interrupted while the client was slow");
          }
        }
        if (closed) {
          throw new IOException("the response is closed");
        }
        int room = (int) Math.min(length, CAPACITY - queued);
        while (room > 0) {
          Chunk last = chunks.peekLast();
          if (last == null || last.room() == 0) {
            last = new Chunk(Math.max(MIN_CHUNK, Math.min(room, HOLD_BYTES)));
            chunks.add(last);
          }
          int n = Math.min(room, last.room());
          System.arraycopy(bytes, offset, last.bytes, last.length, n);
          last.length += n;
          offset += n;
          length -= n;
          room -= n;
          queued += n;
        }
        lastOutput = ctx.executor().ticker().nanoTime();
        // While held back, the event loop needs waking only once enough is there (a pause is
        // its own timer's business); once streaming, for every write.
        if (streaming || queued >= HOLD_BYTES) {
          wake();
        }
      }
    }
  }

  @Override
  public synchronized void end() {
    if (!ended && failure == null) {
      handlerEnded();
    }
    ended = true;
    wake();
  }

  @Override
  public synchronized void fail(CgiResponse response, String cause) {
    if (failure == null && !ended) {
      handlerEnded();
      failure = response;
      failureCause = cause;
      wake();
    }
  }

  /** The handler (on its worker) starts producing this response. */
  synchronized void handlerStarted() {
    handlerStarted = System.nanoTime();
  }

  private void handlerEnded() {
    if (handlerStarted != 0) {
      handlerNanos = System.nanoTime() - handlerStarted;
    }
  }

  /** How long the handler ran until it ended the response; 0 if it ran on no worker. */
  synchronized long handlerNanos() {
    return handlerNanos;
  }

  /** The handler returned: if it left its response unfinished, that is the server's failure. */
  synchronized void handlerReturned() {
    if (failure == null && !ended) {
      log.error("route {}: the handler returned without finishing its response", route);
      fail(CgiResponse.serverFailed(), "unfinished response");
    }
  }

  private void wake() {
    if (!wakeScheduled && !closed) {
      wakeScheduled = true;
      ctx.executor().execute(this::pump);
    }
  }

  // --- the connection's side (event loop) ---

  /**
   * Decides what to send with what the handler has produced so far. Writing may call back in
   * (writability changes): such a call only asks for another round.
   */
  void pump() {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        pumpOnce();
      } while (pumpAgain && state != State.DONE);
    } finally {
      pumping = false;
    }
  }

  private void pumpOnce() {
    CgiResponse head;
    boolean ended;
    CgiResponse failure;
    String cause;
    long queued;
    synchronized (this) {
      wakeScheduled = false;
      head = this.head;
      ended = this.ended;
      failure = this.failure;
      cause = this.failureCause;
      queued = this.queued;
    }
    switch (state) {
      case HOLDING -> {
        if (failure != null) {
          sendWhole(failure, null);
        } else if (ended && head == null) {
          sendWhole(CgiResponse.serverFailed(), null); // a handler's bug
        } else if (ended) {
          sendWhole(head, takeAll());
        } else if (head != null && (queued >= HOLD_BYTES || pauseExpired)) {
          commit(head);
        }
      }
      case STREAMING -> {
        if (failure != null) {
          cut(cause);
        } else {
          writeChunks(ended);
        }
      }
      case DONE -> {}
    }
  }

  /** The channel can take more (or less): move on with what waits. */
  void writabilityChanged() {
    if (state == State.STREAMING) {
      pump();
    }
  }

  /**
   * The connection ends this response from outside (read timeout, body over the cap): {@code
   * response} replaces it if nothing was sent yet, else it is cut. The connection closes after.
   */
  void replace(CgiResponse response, String cause) {
    keepAlive = false;
    if (state == State.HOLDING) {
      sendWhole(response, null);
    } else if (state == State.STREAMING) {
      cut(cause);
    }
  }

  /** The client is gone: drop everything, release the handler. */
  void clientGone() {
    if (state != State.DONE) {
      state = State.DONE;
      complete = false;
      cancelPauseTimer();
      close();
    }
  }

  /** Sends no Keep-Alive: the connection closes after this response (if not committed yet). */
  void closeAfter() {
    keepAlive = false;
  }

  /**
   * Starts watching for a pause in the output (on the event loop, when the handler starts): the
   * check runs every {@link #PAUSE_NANOS} and after each output, so the handler's writes need not
   * wake the event loop while the response is held back.
   */
  void start() {
    if (state == State.HOLDING && pauseTimer == null) {
      pauseTimer = ctx.executor().schedule(this::checkPause, PAUSE_NANOS, TimeUnit.NANOSECONDS);
    }
  }

  private void cancelPauseTimer() {
    if (pauseTimer != null) {
      pauseTimer.cancel(false);
      pauseTimer = null;
    }
  }

  private void checkPause() {
    pauseTimer = null;
    if (state != State.HOLDING) {
      return;
    }
    long quiet;
    boolean hasHead;
    synchronized (this) {
      hasHead = head != null;
      quiet = ctx.executor().ticker().nanoTime() - lastOutput;
    }
    if (hasHead && quiet >= PAUSE_NANOS) {
      pauseExpired = true;
      pump();
    } else {
      long wait = hasHead ? PAUSE_NANOS - quiet : PAUSE_NANOS;
      pauseTimer = ctx.executor().schedule(this::checkPause, wait, TimeUnit.NANOSECONDS);
    }
  }

  private void commit(CgiResponse head) {
    cancelPauseTimer();
    state = State.STREAMING;
    synchronized (this) {
      streaming = true;
    }
    status = head.status();
    if (!chunkedAllowed) {
      keepAlive = false; // the body ends where the connection does
    }
    ctx.write(HttpResponses.streamed(head, chunkedAllowed, keepAlive));
    pumpAgain = true;
  }

  private void writeChunks(boolean endedBefore) {
    boolean wrote = false;
    while (ctx.channel().isWritable()) {
      Chunk chunk;
      synchronized (this) {
        chunk = chunks.poll();
        if (chunk == null) {
          break;
        }
        queued -= chunk.length;
        notifyAll();
      }
      if (!headRequest) {
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk.bytes, 0, chunk.length)));
        bytesOut += chunk.length;
        wrote = true;
      }
    }
    boolean drained;
    synchronized (this) {
      drained = chunks.isEmpty();
    }
    if (endedBefore && drained) {
      state = State.DONE;
      complete = true;
      close();
      done.responseFinishing(this);
      lastWrite = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      if (!keepAlive) {
        done.closeAfter(lastWrite);
      }
      done.responseDone(this);
    } else if (wrote) {
      ctx.flush();
    }
  }

  private void sendWhole(CgiResponse response, Chunk[] body) {
    cancelPauseTimer();
    state = State.DONE;
    status = response.status();
    close();
    var http =
        body == null
            ? HttpResponses.whole(response, headRequest, keepAlive)
            : HttpResponses.whole(response, wrap(body), length(body), headRequest, keepAlive);
    bytesOut = headRequest ? 0 : http.content().readableBytes();
    complete = true;
    done.responseFinishing(this);
    lastWrite = ctx.writeAndFlush(http);
    if (!keepAlive) {
      done.closeAfter(lastWrite);
    }
    done.responseDone(this);
  }

  private void cut(String cause) {
    state = State.DONE;
    complete = false;
    keepAlive = false;
    cancelPauseTimer();
    close();
    log.warn(
        "route {}: response cut short after {} body bytes sent: {}",
        route,
        bytesOut,
        cause == null ? "failed" : cause);
    ctx.flush();
    ctx.close();
    done.responseDone(this);
  }

  /** No more output is taken; a handler blocked on a slow client is released. */
  private synchronized void close() {
    closed = true;
    notifyAll();
  }

  private synchronized Chunk[] takeAll() {
    Chunk[] all = chunks.toArray(new Chunk[0]);
    chunks.clear();
    queued = 0;
    notifyAll();
    return all;
  }

  private static io.netty.buffer.ByteBuf wrap(Chunk[] body) {
    if (body.length == 1) {
      return Unpooled.wrappedBuffer(body[0].bytes, 0, body[0].length);
    }
    var composite = Unpooled.compositeBuffer(Math.max(2, body.length));
    for (Chunk chunk : body) {
      composite.addComponent(true, Unpooled.wrappedBuffer(chunk.bytes, 0, chunk.length));
    }
    return composite;
  }

  private static long length(Chunk[] body) {
    long n = 0;
    for (Chunk chunk : body) {
      n += chunk.length;
    }
    return n;
  }

  // --- for the access log ---

  int status() {
    return status;
  }

  long bytesOut() {
    return bytesOut;
  }

  /** Whether the response went out whole. */
  boolean complete() {
    return complete;
  }

  boolean keepAlive() {
    return keepAlive;
  }

  /** The response's last write, once it is finished and was written whole; else null. */
  ChannelFuture lastWrite() {
    return lastWrite;
  }

  boolean finished() {
    return state == State.DONE;
  }

  /** Whether status and headers have gone out (the response can no longer change). */
  boolean committed() {
    return state != State.HOLDING;
  }

  private static final class Chunk {
    final byte[] bytes;
    int length;

    Chunk(int capacity) {
      bytes = new byte[capacity];
    }

    int room() {
      return bytes.length - length;
    }
  }
}
