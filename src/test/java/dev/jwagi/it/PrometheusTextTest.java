package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test parser is strict: what it accepts is what Prometheus accepts, and no more. */
class PrometheusTextTest {
  private static final String GOOD =
      """
      # HELP jwagi_requests_total Requests answered, by \\\\ route
      # TYPE jwagi_requests_total counter
      jwagi_requests_total{route="/a",status="200"} 3.0
      jwagi_requests_total{route="/q\\"x\\\\",status="404"} 1
      # TYPE d_seconds histogram
      d_seconds_bucket{route="/a",le="0.1"} 1
      d_seconds_bucket{route="/a",le="+Inf"} 2
      d_seconds_count{route="/a"} 2
      d_seconds_sum{route="/a"} 0.25
      up 1 1712345678000
      """;

  @Test
  void readsSamplesLabelsAndTypes() {
    PrometheusText parsed = PrometheusText.parse(GOOD);
    assertThat(parsed.types).containsEntry("jwagi_requests_total", "counter");
    assertThat(parsed.value("jwagi_requests_total", Map.of("route", "/a", "status", "200")))
        .isEqualTo(3);
    assertThat(parsed.value("jwagi_requests_total", Map.of("route", "/q\"x\\", "status", "404")))
        .isEqualTo(1);
    assertThat(parsed.help).containsEntry("jwagi_requests_total", "Requests answered, by \\ route");
    assertThat(parsed.value("up", Map.of())).isEqualTo(1);
  }

  @Test
  void rejectsWhatPrometheusRejects() {
    String[] bad = {
      "x{a=\"1\"} one\n", // not a number
      "x{a=1} 1\n", // unquoted label value
      "x{a=\"1\" 1\n", // unterminated labels
      "1x 1\n", // bad name
      "x 1 2 3\n", // too many fields
      "x{a=\"\\t\"} 1\n", // bad escape
      "x 1\nx 2\n", // a series twice
      "# TYPE x counter\n# TYPE x gauge\n", // two types
      "x 1\n# TYPE x counter\n", // type after samples
      "x 1\ny 1\nx{a=\"b\"} 1\n", // a family split up
      "x 1", // no final line feed
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // falls
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", // no +Inf
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\n", // +Inf != count
    };
    for (String text : bad) {
      assertThatThrownBy(() -> PrometheusText.parse(text))
          .as("%s", text)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
