package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every limit is parsed once, range-checked, with a message naming the flag or the key. */
class LimitKeyTest {
  @Test
  void hugeDurationsAreRefusedNamingTheFlag() {
    assertThatThrownBy(() -> LimitKey.TIMEOUT.durationFlag("99999999999999999h"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--timeout: ")
        .hasMessageContaining("99999999999999999h");
    // Beyond what a nanosecond count holds (it overflowed later, when the timer was set).
    assertThatThrownBy(() -> LimitKey.TIMEOUT.durationFlag("3000000h"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--timeout: \"3000000h\" is too long");
    assertThatThrownBy(() -> LimitKey.TIMEOUT.durationFlag("200h"))
        .hasMessage("--timeout: \"200h\" is out of range (allowed: 1ms to 168h)");
    assertThatThrownBy(() -> LimitKey.READ_TIMEOUT.durationFlag("99999999999999999999999ms"))
        .hasMessageStartingWith("--read-timeout: ")
        .hasMessageContaining("too large");
  }

  @Test
  void aTomlKeyNamesFileRouteAndKey() {
    String where = "modules.toml: [[module]] #1 (route \"/x\")";
    assertThatThrownBy(() -> LimitKey.MAX_MEMORY.sizeKey(where, "8GiB"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            where + ": key `max_memory`: \"8GiB\" is out of range (allowed: 64KiB to 4GiB)");
    assertThatThrownBy(() -> LimitKey.TIMEOUT.durationKey(where, "0s"))
        .hasMessageStartingWith(where + ": key `timeout`: ");
  }

  @Test
  void tableElementsAreAWholeNumber() throws ConfigException {
    String where = "modules.toml: [[module]] #1 (route \"/x\")";
    assertThat(LimitKey.MAX_TABLE_ELEMENTS.sizeKey(where, "10000")).isEqualTo(10_000);
    assertThat(LimitKey.MAX_TABLE_ELEMENTS.sizeFlag("0")).isZero();
    assertThatThrownBy(() -> LimitKey.MAX_TABLE_ELEMENTS.sizeKey(where, "1MiB"))
        .hasMessage(
            where + ": key `max_table_elements`: \"1MiB\" is not a whole number (e.g. 100000)");
    assertThatThrownBy(() -> LimitKey.MAX_TABLE_ELEMENTS.sizeFlag("3000000000"))
        .hasMessage(
            "--max-table-elements: \"3000000000\" is out of range (allowed: 0 to 2147483647)");
  }

  @Test
  void valuesInRangePass() throws ConfigException {
    assertThat(LimitKey.TIMEOUT.durationFlag("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(LimitKey.DRAIN_TIMEOUT.durationFlag("0s")).isEqualTo(Duration.ZERO);
    assertThat(LimitKey.MAX_BODY.sizeFlag("2GiB")).isEqualTo(2L << 30);
    assertThat(LimitKey.MAX_BUFFERED.sizeFlag("64MiB")).isEqualTo(64L << 20);
    assertThatThrownBy(() -> LimitKey.MAX_BUFFERED.sizeFlag("1KiB"))
        .hasMessageStartingWith("--max-buffered: ");
  }

  @Test
  void everyLimitIsAFlagUnderItsOwnName() {
    for (LimitKey limit : LimitKey.values()) {
      assertThat(Flags.OPTIONS).as(limit.flag()).anyMatch(o -> o.names.contains(limit.flag()));
    }
  }
}
