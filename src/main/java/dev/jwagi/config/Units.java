package dev.jwagi.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the sizes ("128MiB", "10MB", "4096") and durations ("30s", "500ms") of flags and TOML.
 * Values too large for their type are refused here; {@link LimitKey} adds each limit's range.
 */
public final class Units {
  private static final Pattern SIZE =
      Pattern.compile(
          "(\\d+)\\s*(b|kb|kib|k|mb|mib|m|gb|gib|g|tb|tib|t)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION =
      Pattern.compile("(\\d+)\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

  private Units() {}

  /** Bytes; binary multiples (KiB = 1024) also for KB/MB/GB, as memory is counted in pages. */
  public static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a size (examples: 4096, 512KiB, 128MiB, 1GiB)");
    }
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    int shift =
        switch (unit.charAt(0)) {
          case 'k' -> 10;
          case 'm' -> 20;
          case 'g' -> 30;
          case 't' -> 40;
          default -> 0;
        };
    long n = number(m.group(1), text);
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("\"" + text + "\" is too large");
    }
    return n << shift;
  }

  public static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a duration (examples: 500ms, 30s, 2m)");
    }
    long n = number(m.group(1), text);
    long millisPer =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "ms" -> 1;
          case "s" -> 1_000;
          case "m" -> 60_000;
          default -> 3_600_000;
        };
    // Kept in milliseconds and nanoseconds later: refuse what either cannot hold.
    if (n > Long.MAX_VALUE / 1_000_000 / millisPer) {
      throw new IllegalArgumentException("\"" + text + "\" is too long");
    }
    return Duration.ofMillis(n * millisPer);
  }

  private static long number(String digits, String text) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + text + "\" is too large");
    }
  }
}
