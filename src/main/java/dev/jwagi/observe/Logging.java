package dev.jwagi.observe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.jwagi.config.Observability.LogFormat;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * The one place that sets how log lines are written. logback.xml says where they go (stdout) and
 * writes text; {@link LogFormat#JSON} keeps the destinations and gives every one of them the {@link
 * JsonLayout}, so server and access lines alike become one JSON object per line.
 */
public final class Logging {
  private Logging() {}

  /** Call at start-up, before anything worth reading is logged. */
  public static void configure(LogFormat format) {
    if (format != LogFormat.JSON
        || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Set<OutputStreamAppender<ILoggingEvent>> appenders = new LinkedHashSet<>();
    for (Logger logger : context.getLoggerList()) {
      for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
        if (it.next() instanceof OutputStreamAppender<ILoggingEvent> stream) {
          appenders.add(stream);
        }
      }
    }
    for (OutputStreamAppender<ILoggingEvent> appender : appenders) {
      JsonLayout layout = new JsonLayout();
      layout.setContext(context);
      layout.start();
      LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
      encoder.setContext(context);
      encoder.setCharset(StandardCharsets.UTF_8);
      encoder.setLayout(layout);
      encoder.start();
      appender.stop();
      appender.setEncoder(encoder);
      appender.start();
    }
  }
}
