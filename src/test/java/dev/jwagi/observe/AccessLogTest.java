package dev.jwagi.observe;

import static org.assertj.core.api.Assertions.assertThat;

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
}
