package dev.jwagi.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class JsonLayoutTest {
  private final LoggerContext context = new LoggerContext();
  private final ObjectMapper json = new ObjectMapper();

  private String layout(LoggingEvent event) {
    JsonLayout layout = new JsonLayout();
    layout.setContext(context);
    layout.start();
    return layout.doLayout(event);
  }

  private LoggingEvent event(String message, Throwable thrown) {
    return new LoggingEvent(
        "test", context.getLogger("dev.jwagi.Test"), Level.WARN, message, thrown, null);
  }

  @Test
  void everyCharacterOfTheMessageSurvivesOnOneLine() throws Exception {
    String message = "quote \" backslash \\ newline \n tab \t bell \u0007 é → \u2028 end";
    String line = layout(event(message, null));
    assertThat(line).endsWith("}\n");
    assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n", "\r");
    JsonNode node = json.readTree(line);
    assertThat(node.get("message").asText()).isEqualTo(message);
    assertThat(node.get("level").asText()).isEqualTo("WARN");
    assertThat(node.get("logger").asText()).isEqualTo("dev.jwagi.Test");
    assertThat(node.get("time").asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  }

  @Test
  void keyValuePairsBecomeFieldsWithTheirJsonTypes() throws Exception {
    LoggingEvent event = event("access", null);
    event.setKeyValuePairs(
        List.of(
            new KeyValuePair("status", 200),
            new KeyValuePair("bytes_out", 12L),
            new KeyValuePair("duration_ms", 1.5),
            new KeyValuePair("complete", true),
            new KeyValuePair("route", null),
            new KeyValuePair("target", "/a?\"b\"")));
    JsonNode node = json.readTree(layout(event));
    assertThat(node.get("status").isInt()).isTrue();
    assertThat(node.get("status").asInt()).isEqualTo(200);
    assertThat(node.get("bytes_out").asLong()).isEqualTo(12);
    assertThat(node.get("duration_ms").isDouble()).isTrue();
    assertThat(node.get("duration_ms").asDouble()).isEqualTo(1.5);
    assertThat(node.get("complete").isBoolean()).isTrue();
    assertThat(node.get("route").isNull()).isTrue();
    assertThat(node.get("target").asText()).isEqualTo("/a?\"b\"");
  }

  @Test
  void anExceptionIsOneField() throws Exception {
    JsonNode node =
        json.readTree(layout(event("failed", new IllegalStateException("broken\nstate"))));
    assertThat(node.get("exception").asText())
        .startsWith("java.lang.IllegalStateException: broken\nstate")
        .contains("at dev.jwagi.observe.JsonLayoutTest");
  }
}
