package dev.jwagi.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** --write-timeout on Netty's embedded channel with its own clock: no wall-clock waits. */
class WriteTimerTest {
  private static final long TIMEOUT_MS = 30_000;

  private EmbeddedChannel channel;
  private ChannelHandlerContext ctx;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicInteger timeouts = new AtomicInteger();
  private WriteTimer timer;

  @BeforeEach
  void open() {
    FrozenChannel frozen = new FrozenChannel();
    channel = frozen.channel;
    ctx = frozen.ctx;
    timer =
        new WriteTimer(
            ctx,
            TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS),
            pending::get,
            timeouts::incrementAndGet);
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  /** Time passes as it does, a millisecond at a time: each check runs when it is due. */
  private void advance(long millis) {
    for (long i = 0; i < millis; i++) {
      channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
      channel.runPendingTasks();
    }
  }

  @Test
  void aClientThatReadsNothingIsGivenUpAfterTheTimeout() {
    pending.set(200_000);
    timer.watch();
    advance(TIMEOUT_MS - 1);
    assertThat(timeouts).hasValue(0);
    advance(TIMEOUT_MS / 4);
    assertThat(timeouts).hasValue(1);
    assertThat(timer.running()).isFalse();
  }

  @Test
  void readingSomeStartsTheTimeoutAgain() {
    pending.set(200_000);
    timer.watch();
    advance(TIMEOUT_MS / 2);
    pending.set(150_000); // the client read 50 KB
    advance(TIMEOUT_MS - 1);
    assertThat(timeouts).as("within the timeout of its last read").hasValue(0);
    advance(TIMEOUT_MS / 2);
    assertThat(timeouts).hasValue(1);
  }

  @Test
  void aClientThatCatchesUpStopsTheTimer() {
    pending.set(200_000);
    timer.watch();
    advance(TIMEOUT_MS / 2);
    timer.stop(); // writable again
    advance(3 * TIMEOUT_MS);
    assertThat(timeouts).hasValue(0);

    timer.watch();
    pending.set(0); // all sent
    advance(3 * TIMEOUT_MS);
    assertThat(timeouts).hasValue(0);
    assertThat(timer.running()).isFalse();
  }
}
