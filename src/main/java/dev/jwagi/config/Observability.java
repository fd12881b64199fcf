package dev.jwagi.config;

/**
 * What jwagi tells operators, validated from the flags.
 *
 * @param metrics serve /metrics (and keep a metrics registry at all)
 * @param accessLog one line per request on stdout
 * @param logFormat how every log line is written
 */
public record Observability(boolean metrics, boolean accessLog, LogFormat logFormat) {
  /** How log lines are written. */
  public enum LogFormat {
    /** Human-readable lines (observe.TextLayout). */
    TEXT,
    /** One JSON object per line: what log collectors parse without rules. */
    JSON
  }
}
