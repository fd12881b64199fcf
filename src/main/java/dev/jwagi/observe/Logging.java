package dev.jwagi.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import dev.jwagi.config.Observability.LogFormat;
import java.nio.charset.StandardCharsets;
import org.slf4j.LoggerFactory;

/**
 * The one place that sets where log lines go and how they are written. Logback finds this class
 * through {@code META-INF/services} when it starts and gets two stdout appenders: server lines
 * ({@value #SERVER}: time, level, message) and access lines ({@value #ACCESS}: the line {@link
 * AccessLog} made). Built in code rather than from a logback.xml: parsing XML was 40-180 ms of
 * every start (bench/profile-startup.sh). {@link #configure(LogFormat)} switches both to {@link
 * JsonLayout}. A {@code -Dlogback.configurationFile} still wins over all of this.
 */
public final class Logging extends ContextAwareBase implements Configurator {
  /** The appender of server lines, on the root logger. */
  public static final String SERVER = "CONSOLE";

  /** The appender of access lines, on {@link AccessLog#LOGGER} only. */
  public static final String ACCESS = "ACCESS";

  /** Called by logback (ServiceLoader) when it starts. */
  public Logging() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY; // the user's own configuration
    }
    context.getLogger("io.netty").setLevel(Level.WARN);
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console(context, SERVER, new TextLayout(true)));
    Logger access = context.getLogger(AccessLog.LOGGER);
    access.setAdditive(false);
    access.addAppender(console(context, ACCESS, new TextLayout(false)));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Call at start-up, before anything worth reading is logged. */
  public static void configure(LogFormat format) {
    if (format != LogFormat.JSON
        || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    for (Logger logger : context.getLoggerList()) {
      for (var it = logger.iteratorForAppenders(); it.hasNext(); ) {
        if (it.next() instanceof QueuedConsoleAppender console) {
          console.stop();
          console.setEncoder(encoder(context, new JsonLayout()));
          console.start();
        }
      }
    }
  }

  private static QueuedConsoleAppender console(
      LoggerContext context, String name, Layout<ILoggingEvent> layout) {
    QueuedConsoleAppender appender = new QueuedConsoleAppender();
    appender.setContext(context);
    appender.setName(name);
    appender.setEncoder(encoder(context, layout));
    appender.start();
    return appender;
  }

  private static LayoutWrappingEncoder<ILoggingEvent> encoder(
      LoggerContext context, Layout<ILoggingEvent> layout) {
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setCharset(StandardCharsets.UTF_8);
    encoder.setLayout(layout);
    encoder.start();
    return encoder;
  }
}
