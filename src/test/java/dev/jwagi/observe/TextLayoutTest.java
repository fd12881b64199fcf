package dev.jwagi.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class TextLayoutTest {
  private final LoggerContext context = new LoggerContext();

  private String layout(boolean timeAndLevel, Level level, String message, Throwable thrown) {
    TextLayout layout = new TextLayout(timeAndLevel);
    layout.setContext(context);
    layout.start();
    return layout.doLayout(
        new LoggingEvent(
            "test", context.getLogger("dev.jwagi.Test"), level, message, thrown, null));
  }

  @Test
  void serverLinesStartWithTheTimeAndTheLevelPaddedToFive() {
    assertThat(layout(true, Level.INFO, "Ready: serving", null))
        .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Ready: serving" + System.lineSeparator());
    assertThat(layout(true, Level.ERROR, "failed", null))
        .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ERROR failed" + System.lineSeparator());
  }

  @Test
  void accessLinesAreTheMessageAlone() {
    assertThat(layout(false, Level.INFO, "2026-11-27T12:00:00.123Z 127.0.0.1 \"GET /\" 200", null))
        .isEqualTo("2026-11-27T12:00:00.123Z 127.0.0.1 \"GET /\" 200" + System.lineSeparator());
  }

  @Test
  void aStackTraceFollowsTheLine() {
    String text = layout(true, Level.WARN, "broken", new IllegalStateException("state"));
    assertThat(text)
        .contains(
            "WARN  broken" + System.lineSeparator() + "java.lang.IllegalStateException: state")
        .contains("at dev.jwagi.observe.TextLayoutTest");
  }
}
