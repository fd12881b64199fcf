package dev.jwagi.reload;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A burst of changes is due once, after it has been quiet long enough (times given, no clock). */
class DebounceTest {
  @Test
  void aBurstIsDueOnceItHasBeenQuietForTheQuietTime() {
    Debounce debounce = new Debounce(200);
    assertThat(debounce.waitNanos(0)).isEqualTo(-1);
    assertThat(debounce.due(1_000)).isFalse();

    debounce.changed(1_000);
    debounce.changed(1_100); // the burst goes on: the quiet time starts again
    assertThat(debounce.waitNanos(1_150)).isEqualTo(150);
    assertThat(debounce.due(1_299)).isFalse();
    debounce.changed(1_250);
    assertThat(debounce.due(1_449)).isFalse();
    assertThat(debounce.waitNanos(1_449)).isEqualTo(1);
    assertThat(debounce.due(1_450)).isTrue();
    assertThat(debounce.due(1_451)).isFalse(); // once per burst
    assertThat(debounce.waitNanos(1_451)).isEqualTo(-1);

    debounce.changed(5_000);
    assertThat(debounce.waitNanos(9_000)).isZero(); // overdue: due now
    assertThat(debounce.due(9_000)).isTrue();
  }
}
