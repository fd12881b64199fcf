package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** WAGI's (wasi-experimental-http 0.10.0) allowed_hosts rules. */
class AllowedHostsTest {
  @Test
  void absentOrEmptyDeniesEveryHost() {
    assertThat(AllowedHosts.NONE.test("example.com")).isFalse();
    assertThat(AllowedHosts.parse(List.of()).test("example.com")).isFalse();
    assertThat(AllowedHosts.parse(List.of()).isEmpty()).isTrue();
  }

  @Test
  void onlyTheHostOfEachEntryCountsNotItsSchemePortOrPath() {
    AllowedHosts hosts =
        AllowedHosts.parse(
            List.of("https://api.Example.com:8443/v1", "http://192.168.0.1", "http://[::1]:3000"));
    assertThat(hosts.test(AllowedHosts.hostOf("http://API.example.com/other"))).isTrue();
    assertThat(hosts.test(AllowedHosts.hostOf("https://192.168.0.1:9/x"))).isTrue();
    assertThat(hosts.test(AllowedHosts.hostOf("http://[::1]/"))).isTrue();
    assertThat(hosts.test(AllowedHosts.hostOf("https://test.example.com"))).isFalse();
    assertThat(hosts.test(AllowedHosts.hostOf("https://example.com"))).isFalse();
    assertThat(hosts.test(AllowedHosts.hostOf("http://api.example.com.evil.test/"))).isFalse();
    assertThat(hosts.test(AllowedHosts.hostOf("http://api.example.com@evil.test/"))).isFalse();
  }

  @Test
  void insecureAllowAllAllowsEveryHost() {
    AllowedHosts all = AllowedHosts.parse(List.of("https://example.com", "insecure:allow-all"));
    assertThat(all.test("anything.test")).isTrue();
    assertThat(all.isEmpty()).isFalse();
  }

  @Test
  void anEntryThatIsNotAUrlWithAHostIsRefused() {
    for (String bad : List.of("api.example.com", "https://", "not a url", "*")) {
      assertThatThrownBy(() -> AllowedHosts.parse(List.of("https://ok.example", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"" + bad + "\" is not a URL with a host");
    }
  }
}
