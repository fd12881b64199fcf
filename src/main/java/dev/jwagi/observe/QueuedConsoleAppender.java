package dev.jwagi.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;

/**
 * Logback's console appender without the system call per line: the event is encoded in the logging
 * thread and handed to the {@link LineWriter}, which writes batches from its own thread.
 */
public final class QueuedConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  /** The one writer of every such appender, so server and access lines keep their order. */
  private static final LineWriter WRITER = new LineWriter(LineWriter.CONSOLE);

  static {
    // What waits is written at exit.
    Runtime.getRuntime().addShutdownHook(new Thread(WRITER::flush, "jwagi-log-flush"));
  }

  private volatile Encoder<ILoggingEvent> encoder;
  private volatile boolean toStderr;

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  /** stdout (the default) or stderr. */
  public void setStderr(boolean toStderr) {
    this.toStderr = toStderr;
  }

  public boolean isStderr() {
    return toStderr;
  }

  @Override
  public void start() {
    if (encoder == null) {
      addError("no encoder for the appender \"" + name + "\"");
      return;
    }
    super.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    WRITER.write(toStderr, encoder.encode(event));
  }

  /** Waits until every line logged so far is written. */
  public static void flush() {
    WRITER.flush();
  }
}
