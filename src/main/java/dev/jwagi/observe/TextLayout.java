package dev.jwagi.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * A log event as a human-readable line: {@code 14:17:44.322 INFO message} for server lines, the
 * message alone for access lines (they carry their own time), then the stack trace if there is one.
 */
public final class TextLayout extends LayoutBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  private final boolean timeAndLevel;

  /** timeAndLevel: start the line with the local time and the level, padded to 5. */
  public TextLayout(boolean timeAndLevel) {
    this.timeAndLevel = timeAndLevel;
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    if (timeAndLevel) {
      String level = event.getLevel().toString();
      line.append(TIME.format(event.getInstant())).append(' ').append(level);
      for (int pad = level.length(); pad < 6; pad++) {
        line.append(' ');
      }
    }
    line.append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append(ThrowableProxyUtil.asString(thrown)).append(CoreConstants.LINE_SEPARATOR);
    }
    return line.toString();
  }
}
