package dev.jwagi.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StringBlockTest {
  private static byte[] bytes(StringBlock block) {
    return Arrays.copyOf(block.bytes(), block.byteLength());
  }

  @Test
  void stringsBackToBackEachEndingInNulAsArgsGetLaysThemOut() {
    var block = StringBlock.of(List.of("/hello", "", "a=é"));
    assertThat(block.count()).isEqualTo(3);
    assertThat(bytes(block)).isEqualTo("/hello\0\0a=é\0".getBytes(StandardCharsets.UTF_8));
    assertThat(block.start(0)).isZero();
    assertThat(block.start(1)).isEqualTo(7);
    assertThat(block.start(2)).isEqualTo(8);
    assertThat(block.toList()).containsExactly("/hello", "", "a=é");
  }

  @Test
  void partsEncodedOnceAndPartsAppendedPerRequestMakeTheSameBlock() {
    var once = StringBlock.encode(List.of("SERVER_SOFTWARE=WAGI/1", "X=☃"));
    var block =
        new StringBlock.Builder(4, 1) // too small on purpose: it grows
            .add(StringBlock.utf8("A="), "1")
            .addEncoded(once)
            .append("B=")
            .append("x€y", 1, 3)
            .append(42)
            .end()
            .build();
    assertThat(block.toList()).containsExactly("A=1", "SERVER_SOFTWARE=WAGI/1", "X=☃", "B=€y42");
    assertThat(block.toMap()).containsEntry("X", "☃").containsEntry("B", "€y42");
    int offset = 0;
    for (int i = 0; i < block.count(); i++) {
      assertThat(block.start(i)).isEqualTo(offset);
      offset += block.toList().get(i).getBytes(StandardCharsets.UTF_8).length + 1;
    }
    assertThat(block.byteLength()).isEqualTo(offset);
  }

  @Test
  void anUnendedStringIsAMistake() {
    assertThatThrownBy(() -> new StringBlock.Builder(8).append("x").build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                new StringBlock.Builder(8).append("x").addEncoded(StringBlock.encode(List.of("y"))))
        .isInstanceOf(IllegalStateException.class);
    assertThat(StringBlock.EMPTY.count()).isZero();
    assertThat(StringBlock.EMPTY.byteLength()).isZero();
  }

  @Test
  void numbersAreWrittenInDecimal() {
    long[] numbers = {
      0, 7, 9, 10, 99, 100, 65536, 1234567890123L, -1, -42, Long.MAX_VALUE, Long.MIN_VALUE
    };
    var builder = new StringBlock.Builder(4, 1);
    for (long n : numbers) {
      builder.append("N=").append(n).end();
    }
    builder.append(Integer.MIN_VALUE).end();
    List<String> expected = new java.util.ArrayList<>();
    for (long n : numbers) {
      expected.add("N=" + n);
    }
    expected.add(Integer.toString(Integer.MIN_VALUE));
    assertThat(builder.build().toList()).isEqualTo(expected);
  }
}
