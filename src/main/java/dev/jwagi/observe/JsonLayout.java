package dev.jwagi.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import org.slf4j.event.KeyValuePair;

/**
 * A log event as one line of JSON: {@code time}, {@code level}, {@code logger}, {@code thread},
 * {@code message}, then the event's key-value pairs as fields of their own (the access log's
 * client, status, ...), then {@code exception} if there is one.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {
  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder json = new StringBuilder(256);
    json.append("{\"time\":");
    string(json, AccessLog.utc(event.getInstant()));
    json.append(",\"level\":");
    string(json, event.getLevel().toString());
    json.append(",\"logger\":");
    string(json, event.getLoggerName());
    json.append(",\"thread\":");
    string(json, event.getThreadName());
    json.append(",\"message\":");
    string(json, event.getFormattedMessage());
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair pair : event.getKeyValuePairs()) {
        json.append(',');
        string(json, pair.key);
        json.append(':');
        value(json, pair.value);
      }
    }
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      json.append(",\"exception\":");
      string(json, ThrowableProxyUtil.asString(thrown));
    }
    return json.append("}\n").toString();
  }

  private static void value(StringBuilder json, Object value) {
    if (value == null) {
      json.append("null");
    } else if (value instanceof Boolean
        || value instanceof Integer
        || value instanceof Long
        || (value instanceof Double d && Double.isFinite(d))) {
      json.append(value);
    } else {
      string(json, value.toString());
    }
  }

  /** A JSON string: quotes, backslashes and control characters escaped (RFC 8259). */
  static void string(StringBuilder json, String text) {
    if (text == null) {
      json.append("null");
      return;
    }
    json.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }
}
