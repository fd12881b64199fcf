package dev.jwagi.observe;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes log lines to stdout or stderr from one background thread, a batch per write: a line
 * written synchronously cost every request a system call on its event loop (the access log took
 * /healthz from ~49 k to ~28 k req/s in bench/http.sh's setting). Lines keep their order and are
 * never dropped: with {@link #CAPACITY} lines waiting, loggers wait. The writer sleeps {@link
 * #LINGER_NANOS} after each batch so that the next one gathers; a line waits at most about that
 * long. {@link #flush()} waits until what was logged before is written.
 */
final class LineWriter {
  /** Lines waiting at most; a logger waits beyond (never drops a line). */
  static final int CAPACITY = 8192;

  /** Pause after a batch, so that lines logged meanwhile go out together. */
  static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** One encoded line and where it goes. */
  private record Line(boolean toStderr, byte[] bytes) {}

  private final LinkedBlockingQueue<Line> queue = new LinkedBlockingQueue<>(CAPACITY);
  private final AtomicLong enqueued = new AtomicLong();
  private final Object written = new Object();
  private long done; // guarded by written
  private volatile boolean urgent; // a flush waits: no linger
  private final Thread thread;
  private final Output output;

  /** Where batches go. */
  interface Output {
    void write(boolean toStderr, byte[] bytes, int length);
  }

  /** Writes to System.out and System.err (as they are at each write). */
  static final Output CONSOLE =
      (toStderr, bytes, length) -> {
        PrintStream out = toStderr ? System.err : System.out;
        out.write(bytes, 0, length);
        out.flush();
      };

  LineWriter(Output output) {
    this.output = output;
    thread = new Thread(this::run, "jwagi-log-writer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a line for stdout (or stderr); waits only while {@link #CAPACITY} lines wait. */
  void write(boolean toStderr, byte[] bytes) {
    enqueued.incrementAndGet();
    Line line = new Line(toStderr, bytes);
    if (!queue.offer(line)) {
      try {
        queue.put(line);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        writeNow(List.of(line)); // an interrupted logger still gets its line out, in its thread
        finished(1);
      }
    }
  }

  /** Waits until every line queued before this call is written (at most a second). */
  void flush() {
    long target = enqueued.get();
    urgent = true;
    LockSupport.unpark(thread); // out of its linger
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    synchronized (written) {
      while (done < target) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(written, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void run() {
    List<Line> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        continue; // nobody interrupts this thread on purpose; keep writing
      }
      queue.drainTo(batch);
      int lines = writeNow(batch);
      batch.clear();
      finished(lines);
      if (!urgent) {
        LockSupport.parkNanos(LINGER_NANOS);
      }
      urgent = false;
    }
  }

  private void finished(int lines) {
    synchronized (written) {
      done += lines;
      written.notifyAll();
    }
  }

  /** Writes the lines, a run of same-target lines at a time; returns how many. */
  private int writeNow(List<Line> batch) {
    int count = 0;
    int i = 0;
    while (i < batch.size()) {
      boolean toStderr = batch.get(i).toStderr();
      int length = 0;
      int j = i;
      for (; j < batch.size() && batch.get(j).toStderr() == toStderr; j++) {
        length += batch.get(j).bytes().length;
      }
      byte[] run = new byte[length];
      int at = 0;
      for (int k = i; k < j; k++) {
        byte[] bytes = batch.get(k).bytes();
        System.arraycopy(bytes, 0, run, at, bytes.length);
        at += bytes.length;
        count++;
      }
      try {
        output.write(toStderr, run, run.length);
      } catch (RuntimeException e) {
        // Nowhere left to say it: the lines are lost, the writer goes on.
      }
      i = j;
    }
    return count;
  }
}
