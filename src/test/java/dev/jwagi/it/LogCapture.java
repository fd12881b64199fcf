package dev.jwagi.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;

/**
 * Collects what the named loggers log (thread-safe: server threads log, the test reads), so a test
 * can assert that a warning was given. Detach with close().
 */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();
  private final List<Logger> loggers;

  private LogCapture(List<Logger> loggers) {
    this.loggers = loggers;
  }

  /** Starts capturing the loggers of these names (e.g. "dev.jwagi.config.ConfigLoader"). */
  static LogCapture of(String... loggerNames) {
    List<Logger> loggers =
        java.util.Arrays.stream(loggerNames)
            .map(name -> (Logger) LoggerFactory.getLogger(name))
            .toList();
    LogCapture capture = new LogCapture(loggers);
    capture.setName("test-capture");
    capture.start();
    loggers.forEach(l -> l.addAppender(capture));
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    events.add(event);
  }

  /** Formatted messages logged at WARN or above, in order. */
  List<String> warnings() {
    return events.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  /** Every formatted message, in order. */
  List<String> messages() {
    return events.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Override
  public void close() {
    loggers.forEach(l -> l.detachAppender(this));
    stop();
  }
}
