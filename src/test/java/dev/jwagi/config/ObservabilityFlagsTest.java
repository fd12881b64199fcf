package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.Main;
import dev.jwagi.config.Observability.LogFormat;
import org.junit.jupiter.api.Test;

class ObservabilityFlagsTest {
  private static Observability parse(String... flags) throws ConfigException {
    String[] args = new String[flags.length + 2];
    args[0] = "-c";
    args[1] = "modules.toml";
    System.arraycopy(flags, 0, args, 2, flags.length);
    return ServerSettings.observability(Main.parse(args, null));
  }

  @Test
  void defaultsAreMetricsAndAccessLogOnAsText() throws Exception {
    assertThat(parse()).isEqualTo(new Observability(true, true, LogFormat.TEXT));
  }

  @Test
  void eachFlagTurnsItsPartOffOrToJson() throws Exception {
    assertThat(parse("--metrics", "off", "--access-log", "OFF", "--log-format", "json"))
        .isEqualTo(new Observability(false, false, LogFormat.JSON));
  }

  @Test
  void aBadValueNamesTheFlagAndWhatItTakes() {
    assertThatThrownBy(() -> parse("--metrics", "yes"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--metrics \"yes\": expected on or off");
    assertThatThrownBy(() -> parse("--access-log", "1"))
        .hasMessage("--access-log \"1\": expected on or off");
    assertThatThrownBy(() -> parse("--log-format", "logfmt"))
        .hasMessage("--log-format \"logfmt\": expected text or json");
  }
}
