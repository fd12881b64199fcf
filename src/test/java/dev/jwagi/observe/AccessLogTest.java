package dev.jwagi.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class AccessLogTest {
  private static String millis(long nanos) {
    return AccessLog.millis(new StringBuilder(), nanos).toString();
  }

  @Test
  void millisecondsHaveTwoDecimalsRoundedHalfUp() {
    assertThat(millis(0)).isEqualTo("0.00");
    assertThat(millis(4_999)).isEqualTo("0.00");
    assertThat(millis(5_000)).isEqualTo("0.01");
    assertThat(millis(90_000)).isEqualTo("0.09");
    assertThat(millis(1_520_000)).isEqualTo("1.52");
    assertThat(millis(12_345_678_901L)).isEqualTo("12345.68");
    assertThat(millis(-1)).isEqualTo("0.00");
  }

  @Test
  void timesAreUtcWithMillisecondsAsTheFormatterWritesThem() {
    // Across second, minute, day and year boundaries, back and forth (threads report out of
    // order), with 0, 1, 2 and 3 significant millisecond digits.
    long[] millis = {
      1_795_000_000_000L, 1_795_000_000_005L, 1_795_000_000_050L, 1_795_000_000_999L,
      1_795_000_001_000L, 1_795_000_000_500L, 1_798_761_599_999L, 1_798_761_600_000L,
      0L, 1_795_000_001_123L
    };
    for (long ms : millis) {
      Instant time = Instant.ofEpochMilli(ms).plusNanos(987_654);
      assertThat(AccessLog.utc(time)).isEqualTo(AccessLog.TIME.format(time));
    }
  }
}
