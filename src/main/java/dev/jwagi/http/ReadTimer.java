package dev.jwagi.http;

import io.netty.channel.ChannelHandlerContext;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The read timeout of the request being read (--read-timeout): started by its first bytes, paused
 * while the server itself holds its body back (the guest has not taken what came: the client is not
 * the slow one), stopped once the request is in. Event loop only.
 */
final class ReadTimer {
  private final ChannelHandlerContext ctx;
  private final long timeoutNanos;
  private final Runnable onTimeout;
  private ScheduledFuture<?> timer;
  private long deadline;

  /** While paused: the time left; else -1. */
  private long left = -1;

  private long startNanos;
  private Instant startedAt;

  ReadTimer(ChannelHandlerContext ctx, long timeoutNanos, Runnable onTimeout) {
    this.ctx = ctx;
    this.timeoutNanos = timeoutNanos;
    this.onTimeout = onTimeout;
  }

  /** Whether a request is being read (the timer runs or is paused). */
  boolean running() {
    return timer != null || left >= 0;
  }

  /** A request's first bytes are here: it has the whole timeout from now. */
  void start() {
    stop();
    startNanos = System.nanoTime();
    startedAt = Instant.now();
    schedule(timeoutNanos);
  }

  void pause() {
    if (timer != null) {
      left = Math.max(0, deadline - System.nanoTime());
      timer.cancel(false);
      timer = null;
    }
  }

  void resume() {
    if (left >= 0) {
      schedule(left);
      left = -1;
    }
  }

  void stop() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    left = -1;
  }

  /** When the request's first bytes came (System.nanoTime), and as a wall-clock instant. */
  long startNanos() {
    return startNanos;
  }

  Instant startedAt() {
    return startedAt;
  }

  private void schedule(long nanos) {
    deadline = System.nanoTime() + nanos;
    timer =
        ctx.executor()
            .schedule(
                () -> {
                  timer = null;
                  onTimeout.run();
                },
                nanos,
                TimeUnit.NANOSECONDS);
  }
}
