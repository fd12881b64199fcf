package dev.jwagi.observe;

import java.time.Instant;
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

  private final boolean fields;

  /**
   * fields: also hand the values over as key-value pairs (for the JSON log format; the text format
   * writes the line alone, and building the pairs was most of this listener's cost per request).
   */
  public AccessLog(boolean fields) {
    this.fields = fields;
  }

  /** UTC, milliseconds, fixed width: sorts as text. */
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final DateTimeFormatter UP_TO_SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.").withZone(ZoneOffset.UTC);

  /** A second, formatted up to its dot; immutable, so threads can share the last one. */
  private static final class Second {
    final long epochSecond;
    final String text;

    Second(long epochSecond, String text) {
      this.epochSecond = epochSecond;
      this.text = text;
    }
  }

  private static volatile Second lastSecond = new Second(Long.MIN_VALUE, "");

  /**
   * {@code time} as {@link #TIME} formats it, with the part up to the seconds formatted once per
   * second: the formatter was ~0.45 µs of every request on the event loop (bench/profile.sh).
   */
  static String utc(Instant time) {
    Second second = lastSecond;
    if (second.epochSecond != time.getEpochSecond()) {
      second = new Second(time.getEpochSecond(), UP_TO_SECONDS.format(time));
      lastSecond = second;
    }
    int millis = time.getNano() / 1_000_000;
    char[] text = new char[second.text.length() + 4];
    second.text.getChars(0, second.text.length(), text, 0);
    int at = second.text.length();
    text[at] = (char) ('0' + millis / 100);
    text[at + 1] = (char) ('0' + millis / 10 % 10);
    text[at + 2] = (char) ('0' + millis % 10);
    text[at + 3] = 'Z';
    return new String(text);
  }

  @Override
  public void requestDone(RequestRecord r) {
    if (!log.isInfoEnabled()) {
      return;
    }
    String start = utc(r.start());
    StringBuilder line = new StringBuilder(160);
    line.append(start).append(' ').append(r.client()).append(" \"");
    quoted(line, r.method()).append(' ');
    quoted(line, r.target()).append(' ');
    quoted(line, r.protocol()).append("\" ");
    line.append(r.status()).append(' ').append(r.bytesOut());
    line.append(" route=").append(r.route() == null ? "-" : r.route());
    line.append(" in=").append(r.bytesIn());
    millis(line.append(" ms="), r.totalNanos());
    millis(line.append(" guest_ms="), r.guestNanos());
    if (!r.complete()) {
      line.append(" incomplete");
    }
    if (!fields) {
      log.info(line.toString());
      return;
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
        .addKeyValue("duration_ms", r.totalNanos() / 1000 / 1000.0)
        .addKeyValue("guest_ms", r.guestNanos() / 1000 / 1000.0)
        .addKeyValue("complete", r.complete())
        .log();
  }

  /**
   * Appends nanoseconds as milliseconds with two decimals (no String.format: it is slow to load).
   */
  static StringBuilder millis(StringBuilder line, long nanos) {
    long hundredths = (Math.max(0, nanos) + 5_000) / 10_000;
    long fraction = hundredths % 100;
    return line.append(hundredths / 100).append(fraction < 10 ? ".0" : ".").append(fraction);
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
        line.append("\\x")
            .append(Character.forDigit(c >> 4, 16))
            .append(Character.forDigit(c & 15, 16));
      } else {
        line.append(c);
      }
    }
    return line;
  }
}
