package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {
  @Test
  void sizesAreBinaryMultiples() {
    assertThat(Units.parseSize("4096")).isEqualTo(4096);
    assertThat(Units.parseSize("512KiB")).isEqualTo(512L << 10);
    assertThat(Units.parseSize("128MiB")).isEqualTo(128L << 20);
    assertThat(Units.parseSize("10MB")).isEqualTo(10L << 20);
    assertThat(Units.parseSize(" 1 GiB ")).isEqualTo(1L << 30);
    assertThat(Units.parseSize("2g")).isEqualTo(2L << 30);
  }

  @Test
  void badSizesSayWhatIsExpected() {
    for (String bad :
        new String[] {"", "MiB", "-1", "1.5MiB", "12 parsecs", "99999999999999999GiB"}) {
      assertThatThrownBy(() -> Units.parseSize(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad.trim().isEmpty() ? "size" : bad.trim());
    }
  }

  @Test
  void durations() {
    assertThat(Units.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Units.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Units.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Units.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void aDurationNeedsAUnit() {
    for (String bad : new String[] {"30", "s", "1.5s", "-1s", "3 days"}) {
      assertThatThrownBy(() -> Units.parseDuration(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not a duration");
    }
  }
}
