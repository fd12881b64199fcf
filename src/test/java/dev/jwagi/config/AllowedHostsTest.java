package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * WAGI's (wasi-experimental-http 0.10.0) allowed_hosts rules, and Spin's allowed_outbound_hosts
 * (spinframework/spin crates/outbound-networking-config/src/allowed_hosts.rs) and v1
 * allowed_http_hosts (crates/manifest/src/compat.rs).
 */
class AllowedHostsTest {
  private static boolean allows(AllowedHosts hosts, String url) {
    return hosts.test(URI.create(url));
  }

  @Test
  void absentOrEmptyDeniesEveryHost() {
    assertThat(allows(AllowedHosts.NONE, "http://example.com/")).isFalse();
    assertThat(allows(AllowedHosts.parse(List.of()), "http://example.com/")).isFalse();
    assertThat(AllowedHosts.parse(List.of()).isEmpty()).isTrue();
  }

  @Test
  void onlyTheHostOfEachEntryCountsNotItsSchemePortOrPath() {
    AllowedHosts hosts =
        AllowedHosts.parse(
            List.of("https://api.Example.com:8443/v1", "http://192.168.0.1", "http://[::1]:3000"));
    assertThat(allows(hosts, "http://API.example.com/other")).isTrue();
    assertThat(allows(hosts, "https://192.168.0.1:9/x")).isTrue();
    assertThat(allows(hosts, "http://[::1]/")).isTrue();
    assertThat(allows(hosts, "https://test.example.com")).isFalse();
    assertThat(allows(hosts, "https://example.com")).isFalse();
    assertThat(allows(hosts, "http://api.example.com.evil.test/")).isFalse();
    assertThat(allows(hosts, "http://api.example.com@evil.test/")).isFalse();
  }

  @Test
  void insecureAllowAllAllowsEveryHost() {
    AllowedHosts all = AllowedHosts.parse(List.of("https://example.com", "insecure:allow-all"));
    assertThat(allows(all, "http://anything.test:1/")).isTrue();
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

  private static AllowedHosts spin(String... entries) {
    return AllowedHosts.parseSpin(List.of(entries), w -> {});
  }

  @Test
  void spinEntriesRestrictSchemeHostAndPort() {
    AllowedHosts hosts = spin("https://api.example.com", "http://localhost:8080");
    assertThat(allows(hosts, "https://api.example.com/x")).isTrue();
    assertThat(allows(hosts, "https://API.example.com:443/x")).isTrue();
    assertThat(allows(hosts, "http://api.example.com/x")).as("scheme").isFalse();
    assertThat(allows(hosts, "https://api.example.com:8443/x")).as("port").isFalse();
    assertThat(allows(hosts, "http://localhost:8080/")).isTrue();
    assertThat(allows(hosts, "http://localhost/")).as("default port 80").isFalse();
    assertThat(allows(hosts, "http://localhost:8081/")).isFalse();
  }

  @Test
  void spinWildcardsForSchemeHostSubdomainAndPort() {
    assertThat(allows(spin("*://*:*"), "http://anything.test:9/")).isTrue();
    AllowedHosts sub = spin("https://*.example.com");
    assertThat(allows(sub, "https://a.example.com/")).isTrue();
    assertThat(allows(sub, "https://a.b.example.com/")).isTrue();
    assertThat(allows(sub, "https://example.com/")).isFalse();
    assertThat(allows(sub, "https://badexample.com/")).isFalse();
    AllowedHosts ports = spin("http://127.0.0.1:8000..8002");
    assertThat(allows(ports, "http://127.0.0.1:8000/")).isTrue();
    assertThat(allows(ports, "http://127.0.0.1:8001/")).isTrue();
    assertThat(allows(ports, "http://127.0.0.1:8002/")).as("a range's end is excluded").isFalse();
    AllowedHosts anyPort = spin("http://localhost:*");
    assertThat(allows(anyPort, "http://localhost:1234/")).isTrue();
    assertThat(allows(anyPort, "https://localhost:1234/")).isFalse();
  }

  @Test
  void spinIpRangesAndIpv6() {
    AllowedHosts range = spin("http://10.0.0.0/8:80", "http://[::1]:3000");
    assertThat(allows(range, "http://10.1.2.3/")).isTrue();
    assertThat(allows(range, "http://11.1.2.3/")).isFalse();
    assertThat(allows(range, "http://[::1]:3000/")).isTrue();
    assertThat(allows(range, "http://[0:0:0:0:0:0:0:1]:3000/")).isTrue();
    assertThat(allows(range, "http://[::1]:3001/")).isFalse();
  }

  @Test
  void spinSelfAllowsNothingWithAWarning() {
    List<String> warnings = new ArrayList<>();
    AllowedHosts self = AllowedHosts.parseSpin(List.of("http://self"), warnings::add);
    assertThat(allows(self, "http://self/")).isFalse();
    assertThat(warnings).singleElement().asString().contains("\"http://self\"");
  }

  @Test
  void spinRefusesWhatSpinRefuses() {
    for (String bad :
        List.of(
            "example.com",
            "insecure:allow-all",
            "https://example.com/path",
            "https://ex*ample.com",
            "ftp://example.com",
            "https://example.com:port",
            "https://{{ host }}")) {
      assertThatThrownBy(() -> spin(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad);
    }
  }

  @Test
  void spinV1HttpHostsAllowBothSchemesAtTheGivenPort() {
    AllowedHosts hosts =
        AllowedHosts.parseSpinHttpHosts(
            List.of("example.com", "localhost:8081", "https://api.test"), w -> {});
    assertThat(allows(hosts, "http://example.com/")).isTrue();
    assertThat(allows(hosts, "https://example.com/")).isTrue();
    assertThat(allows(hosts, "https://example.com:8443/")).isFalse();
    assertThat(allows(hosts, "http://localhost:8081/")).isTrue();
    assertThat(allows(hosts, "https://localhost:8081/")).isTrue();
    assertThat(allows(hosts, "http://localhost/")).isFalse();
    assertThat(allows(hosts, "http://api.test/"))
        .as("the entry's scheme restricts nothing")
        .isTrue();
    AllowedHosts all = AllowedHosts.parseSpinHttpHosts(List.of("insecure:allow-all"), w -> {});
    assertThat(allows(all, "http://x.test:1/")).isTrue();
    assertThatThrownBy(() -> AllowedHosts.parseSpinHttpHosts(List.of("example.com/x"), w -> {}))
        .hasMessageContaining("path");
  }
}
