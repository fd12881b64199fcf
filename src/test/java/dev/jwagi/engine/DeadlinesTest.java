package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DeadlinesTest {
  private final Deadlines deadlines = new Deadlines();

  @AfterEach
  void stop() {
    deadlines.close();
    Thread.interrupted();
  }

  @Test
  void aGuestPastItsTimeoutIsInterrupted() {
    var deadline = deadlines.start(Duration.ofMillis(50));
    boolean interrupted = false;
    try {
      Thread.sleep(TimeUnit.SECONDS.toMillis(20)); // the guest, running on
    } catch (InterruptedException e) {
      interrupted = true;
    }
    deadline.close();
    assertThat(interrupted).isTrue();
    assertThat(deadline.fired()).isTrue();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void theThreadsNextDeadlineStartsClean() {
    var first = deadlines.start(Duration.ofMillis(20));
    try {
      Thread.sleep(TimeUnit.SECONDS.toMillis(20));
    } catch (InterruptedException e) {
      // fired, as expected
    }
    first.close();
    var second = deadlines.start(Duration.ofSeconds(20));
    assertThat(second.fired()).isFalse();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    second.close();
    assertThat(second.fired()).isFalse();
  }

  @Test
  void aClosedDeadlineNeverFires() throws Exception {
    var closed = deadlines.start(Duration.ofMillis(20));
    closed.close();
    // A later deadline on another thread: once it has fired, the earlier one would have too.
    CountDownLatch later = new CountDownLatch(1);
    Thread other =
        new Thread(
            () -> {
              var deadline = deadlines.start(Duration.ofMillis(60));
              try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(20));
              } catch (InterruptedException e) {
                later.countDown();
              }
              deadline.close();
            });
    other.start();
    assertThat(later.await(20, TimeUnit.SECONDS)).isTrue();
    other.join();
    assertThat(closed.fired()).isFalse();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }
}
