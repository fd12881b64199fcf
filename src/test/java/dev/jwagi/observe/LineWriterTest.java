package dev.jwagi.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LineWriterTest {
  /** Collects what is written, per target; can be held shut to stand for a blocked stdout. */
  private static final class Collected implements LineWriter.Output {
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final List<Integer> batches = new ArrayList<>();
    final CountDownLatch open;

    Collected(boolean startOpen) {
      open = new CountDownLatch(startOpen ? 0 : 1);
    }

    @Override
    public void write(boolean toStderr, byte[] bytes, int length) {
      try {
        open.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      synchronized (this) {
        (toStderr ? stderr : stdout).write(bytes, 0, length);
        batches.add(length);
      }
    }

    synchronized String out() {
      return stdout.toString(StandardCharsets.UTF_8);
    }

    synchronized String err() {
      return stderr.toString(StandardCharsets.UTF_8);
    }
  }

  private static byte[] line(String text) {
    return (text + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void linesFromManyThreadsArriveWholeInTheirThreadsOrder() throws Exception {
    Collected output = new Collected(true);
    LineWriter writer = new LineWriter(output);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < 5000; i++) {
                  writer.write(false, line(id + ":" + i));
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    writer.flush();
    String[] lines = output.out().split("\n");
    assertThat(lines).hasSize(20000);
    int[] next = new int[4];
    for (String l : lines) {
      String[] parts = l.split(":");
      int id = Integer.parseInt(parts[0]);
      assertThat(Integer.parseInt(parts[1])).isEqualTo(next[id]);
      next[id]++;
    }
    // Batched: far fewer writes than lines.
    assertThat(output.batches.size()).isLessThan(20000);
  }

  @Test
  void stdoutAndStderrLinesGoToTheirOwnStream() {
    Collected output = new Collected(true);
    LineWriter writer = new LineWriter(output);
    writer.write(false, line("out 1"));
    writer.write(true, line("err 1"));
    writer.write(false, line("out 2"));
    writer.flush();
    assertThat(output.out()).isEqualTo("out 1\nout 2\n");
    assertThat(output.err()).isEqualTo("err 1\n");
  }

  @Test
  void aBlockedOutputMakesLoggersWaitInsteadOfDroppingLines() throws Exception {
    Collected output = new Collected(false);
    LineWriter writer = new LineWriter(output);
    int total = LineWriter.CAPACITY * 2 + 10;
    CountDownLatch allWritten = new CountDownLatch(1);
    Thread logger =
        new Thread(
            () -> {
              for (int i = 0; i < total; i++) {
                writer.write(false, line("line " + i));
              }
              allWritten.countDown();
            });
    logger.start();
    // The output is shut: the logger cannot get all its lines queued.
    assertThat(allWritten.await(300, TimeUnit.MILLISECONDS)).isFalse();
    output.open.countDown();
    assertThat(allWritten.await(20, TimeUnit.SECONDS)).isTrue();
    logger.join();
    writer.flush();
    String[] lines = output.out().split("\n");
    assertThat(lines).hasSize(total);
    assertThat(lines[total - 1]).isEqualTo("line " + (total - 1));
  }
}
