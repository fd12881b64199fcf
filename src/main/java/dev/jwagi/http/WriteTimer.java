package dev.jwagi.http;

import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The send timeout of a connection (--write-timeout): watched while response bytes wait for the
 * client (the channel is not writable); if the bytes waiting do not go down for the whole timeout,
 * the client reads nothing and is given up. Checked a few times per timeout, so a client is cut off
 * between one and one and a quarter timeouts after its last read. Event loop only.
 */
final class WriteTimer {
  private final ChannelHandlerContext ctx;
  private final long timeoutNanos;
  private final LongSupplier pendingBytes;
  private final Runnable onTimeout;
  private ScheduledFuture<?> tick;
  private long lastPending;
  private long lastProgress;

  /**
   * @param pendingBytes response bytes queued for the socket now
   */
  WriteTimer(
      ChannelHandlerContext ctx, long timeoutNanos, LongSupplier pendingBytes, Runnable onTimeout) {
    this.ctx = ctx;
    this.timeoutNanos = timeoutNanos;
    this.pendingBytes = pendingBytes;
    this.onTimeout = onTimeout;
  }

  /** Response bytes wait for the client: from now on it must read within the timeout. */
  void watch() {
    if (tick == null) {
      lastPending = pendingBytes.getAsLong();
      lastProgress = now();
      schedule();
    }
  }

  /** The client caught up (the channel is writable again). */
  void stop() {
    if (tick != null) {
      tick.cancel(false);
      tick = null;
    }
  }

  boolean running() {
    return tick != null;
  }

  private void check() {
    tick = null;
    long pending = pendingBytes.getAsLong();
    if (pending == 0) {
      return; // nothing waits any more
    }
    long now = now();
    if (pending < lastPending) {
      lastProgress = now;
    }
    lastPending = pending;
    if (now - lastProgress >= timeoutNanos) {
      onTimeout.run();
    } else {
      schedule();
    }
  }

  private void schedule() {
    tick =
        ctx.executor().schedule(this::check, Math.max(1, timeoutNanos / 4), TimeUnit.NANOSECONDS);
  }

  private long now() {
    return ctx.executor().ticker().nanoTime();
  }
}
