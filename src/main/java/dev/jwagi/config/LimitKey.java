package dev.jwagi.config;

import java.time.Duration;

/**
 * Every size or duration limit set by a flag or a modules.toml key: the one place of its flag name
 * ({@link Flags} registers the flag under it), its TOML key (the readers look it up under it) and
 * its allowed range. The one parser for both, so {@code --timeout 99999999999999999h} and {@code
 * timeout = "99999999999999999h"} get the same check and the same reason, prefixed with the flag,
 * or with the file, route and key.
 */
public enum LimitKey {
  TIMEOUT("--timeout", "timeout", Duration.ofMillis(1), Duration.ofDays(7)),
  READ_TIMEOUT("--read-timeout", null, Duration.ofMillis(1), Duration.ofDays(7)),
  IDLE_TIMEOUT("--idle-timeout", null, Duration.ofMillis(1), Duration.ofDays(7)),
  DRAIN_TIMEOUT("--drain-timeout", null, Duration.ZERO, Duration.ofDays(1)),
  /** A wasm32 memory is at most 65536 pages of 64 KiB. */
  MAX_MEMORY("--max-memory", "max_memory", 64L << 10, 4L << 30),
  MAX_BODY("--max-body", "max_body", 0, 1L << 50),
  MAX_OUTPUT("--max-output", "max_output", 0, 1L << 50),
  MAX_BUFFERED("--max-buffered", null, 1L << 20, 1L << 50),
  WRITE_TIMEOUT("--write-timeout", null, Duration.ofMillis(1), Duration.ofDays(7)),
  MAX_SPOOL("--max-spool", null, 0, 1L << 50),
  MAX_STDERR_LOG("--max-stderr-log", null, 4L << 10, 1L << 50),
  /** Elements of all of a guest's tables together (a count, not a size). */
  MAX_TABLE_ELEMENTS("--max-table-elements", "max_table_elements", 0, Integer.MAX_VALUE, true);

  private final String flag;
  private final String tomlKey;
  private final Duration minDuration;
  private final Duration maxDuration;
  private final long minBytes;
  private final long maxBytes;
  private final boolean count;

  LimitKey(String flag, String tomlKey, Duration min, Duration max) {
    this.flag = flag;
    this.tomlKey = tomlKey;
    this.minDuration = min;
    this.maxDuration = max;
    this.minBytes = -1;
    this.maxBytes = -1;
    this.count = false;
  }

  LimitKey(String flag, String tomlKey, long min, long max) {
    this(flag, tomlKey, min, max, false);
  }

  LimitKey(String flag, String tomlKey, long min, long max, boolean count) {
    this.flag = flag;
    this.tomlKey = tomlKey;
    this.minDuration = null;
    this.maxDuration = null;
    this.minBytes = min;
    this.maxBytes = max;
    this.count = count;
  }

  public String flag() {
    return flag;
  }

  /** The modules.toml key of a per-route limit; null for a server-wide one. */
  public String tomlKey() {
    return tomlKey;
  }

  /** The value of the flag, checked; the message names the flag. */
  public Duration durationFlag(String text) throws ConfigException {
    try {
      return duration(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(flag + ": " + e.getMessage());
    }
  }

  public long sizeFlag(String text) throws ConfigException {
    try {
      return size(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(flag + ": " + e.getMessage());
    }
  }

  /** The value of the key in a [[module]] table ({@code where} names file and route). */
  public Duration durationKey(String where, String text) throws ConfigException {
    try {
      return duration(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `" + tomlKey + "`: " + e.getMessage());
    }
  }

  public long sizeKey(String where, String text) throws ConfigException {
    try {
      return size(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `" + tomlKey + "`: " + e.getMessage());
    }
  }

  Duration duration(String text) {
    if (minDuration == null) {
      throw new IllegalStateException(this + " is a size");
    }
    Duration d = Units.parseDuration(text);
    if (d.compareTo(minDuration) < 0 || d.compareTo(maxDuration) > 0) {
      throw new IllegalArgumentException(
          "\""
              + text.trim()
              + "\" is out of range (allowed: "
              + describe(minDuration)
              + " to "
              + describe(maxDuration)
              + ")");
    }
    return d;
  }

  long size(String text) {
    if (minDuration != null) {
      throw new IllegalStateException(this + " is a duration");
    }
    long n = count ? wholeNumber(text) : Units.parseSize(text);
    if (n < minBytes || n > maxBytes) {
      throw new IllegalArgumentException(
          "\""
              + text.trim()
              + "\" is out of range (allowed: "
              + (count ? String.valueOf(minBytes) : describe(minBytes))
              + " to "
              + (count ? String.valueOf(maxBytes) : describe(maxBytes))
              + ")");
    }
    return n;
  }

  private static long wholeNumber(String text) {
    String t = text.trim();
    if (!t.matches("\\d{1,18}")) {
      throw new IllegalArgumentException("\"" + t + "\" is not a whole number (e.g. 100000)");
    }
    return Long.parseLong(t);
  }

  private static String describe(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.toMillis() < 1000) {
      return d.toMillis() + "ms";
    }
    return d.toHours() + "h";
  }

  private static String describe(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (u < units.length - 1 && bytes >= 1024 && bytes % 1024 == 0) {
      bytes /= 1024;
      u++;
    }
    return bytes + (u == 0 ? "" : units[u]);
  }
}
