package dev.jwagi.observe;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished request on the logger {@value #LOGGER} (stdout: Knative collects it):
 *
 * <pre>
 * 2026-11-27T12:00:00.123Z 127.0.0.1 "GET /hello?x=1 HTTP/1.1" 200 13 route=/hello in=0 ms=1.52 guest_ms=0.87
 * </pre>
 *
 * <p>start time (UTC), client, request line, status, response body bytes, route ({@code -} when
 * none matched), request body bytes, total and guest milliseconds, and {@code incomplete} when the
 * response was cut short. The same values go along as key-value pairs, which the JSON log format
 * writes as separate fields.
 */
public final class AccessLog implements ServerEvents {
  /** The logger of access lines. */
  public static final String LOGGER = "jwagi.access";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  /** UTC, milliseconds, fixed width: sorts as text. */
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Override
  public void requestDone(RequestRecord r) {
    if (!log.isInfoEnabled()) {
      return;
    }
    String start = TIME.format(r.start());
    double totalMs = r.totalNanos() / 1e6;
    double guestMs = r.guestNanos() / 1e6;
    StringBuilder line = new StringBuilder(160);
    line.append(start).append(' ').append(r.client()).append(" \"");
    quoted(line, r.method()).append(' ');
    quoted(line, r.target()).append(' ');
    quoted(line, r.protocol()).append("\" ");
    line.append(r.status()).append(' ').append(r.bytesOut());
    line.append(" route=").append(r.route() == null ? "-" : r.route());
    line.append(" in=").append(r.bytesIn());
    line.append(" ms=").append(String.format(java.util.Locale.ROOT, "%.2f", totalMs));
    line.append(" guest_ms=").append(String.format(java.util.Locale.ROOT, "%.2f", guestMs));
    if (!r.complete()) {
      line.append(" incomplete");
    }
    log.atInfo()
        .setMessage(line.toString())
        .addKeyValue("start", start)
        .addKeyValue("client", r.client())
        .addKeyValue("method", r.method())
        .addKeyValue("target", r.target())
        .addKeyValue("protocol", r.protocol())
        .addKeyValue("route", r.route())
        .addKeyValue("status", r.status())
        .addKeyValue("bytes_in", r.bytesIn())
        .addKeyValue("bytes_out", r.bytesOut())
        .addKeyValue("duration_ms", Math.round(totalMs * 1000) / 1000.0)
        .addKeyValue("guest_ms", Math.round(guestMs * 1000) / 1000.0)
        .addKeyValue("complete", r.complete())
        .log();
  }

  /**
   * Appends text so that a line stays one line and the quoted request line stays parseable: a
   * quote, a backslash and control characters become {@code \xHH}.
   */
  private static StringBuilder quoted(StringBuilder line, String text) {
    if (text == null) {
      return line.append('-');
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
        line.append(String.format("\\x%02x", (int) c));
      } else {
        line.append(c);
      }
    }
    return line;
  }
}
