package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
  @Test
  void noneTrustsNobodyNotEvenLoopback() {
    assertThat(TrustedProxies.NONE.test("127.0.0.1")).isFalse();
    assertThat(TrustedProxies.NONE.test("0:0:0:0:0:0:0:1")).isFalse();
  }

  @Test
  void theFlagAloneTrustsLoopbackOnly() {
    TrustedProxies trusted = TrustedProxies.loopbackAnd(List.of(""));
    assertThat(trusted.test("127.0.0.1")).isTrue();
    assertThat(trusted.test("127.8.9.10")).isTrue();
    assertThat(trusted.test("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(trusted.test("::1")).isTrue();
    assertThat(trusted.test("::ffff:127.0.0.1")).isTrue(); // IPv4-mapped
    assertThat(trusted.test("10.0.0.1")).isFalse();
    assertThat(trusted.test("128.0.0.1")).isFalse();
    assertThat(trusted.test("::2")).isFalse();
  }

  @Test
  void addressesAndRangesAreAdded() {
    TrustedProxies trusted =
        TrustedProxies.loopbackAnd(
            List.of("10.1.2.3", "192.168.0.0/16", "fd00::/8", "10.9.0.0/23"));
    assertThat(trusted.test("10.1.2.3")).isTrue();
    assertThat(trusted.test("10.1.2.4")).isFalse();
    assertThat(trusted.test("192.168.255.1")).isTrue();
    assertThat(trusted.test("192.169.0.1")).isFalse();
    assertThat(trusted.test("fd12:3456::1")).isTrue();
    assertThat(trusted.test("fe80::1")).isFalse();
    assertThat(trusted.test("10.9.1.200")).isTrue();
    assertThat(trusted.test("10.9.2.1")).isFalse();
    assertThat(trusted.test("127.0.0.1")).isTrue();
  }

  @Test
  void notAnAddressIsNotTrusted() {
    TrustedProxies trusted = TrustedProxies.loopbackAnd(List.of("0.0.0.0/0"));
    assertThat(trusted.test("localhost")).isFalse();
    assertThat(trusted.test("")).isFalse();
    assertThat(trusted.test("203.0.113.9")).isTrue();
  }

  @Test
  void hostNamesAndBadRangesAreRefused() {
    assertThatThrownBy(() -> TrustedProxies.loopbackAnd(List.of("proxy.example.com")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"proxy.example.com\" is not an IP address");
    assertThatThrownBy(() -> TrustedProxies.loopbackAnd(List.of("10.0.0.0/33")))
        .hasMessageContaining("\"10.0.0.0/33\": the prefix length must be 0 to 32");
    assertThatThrownBy(() -> TrustedProxies.loopbackAnd(List.of("fd00::/x")))
        .hasMessageContaining("prefix length must be 0 to 128");
    assertThatThrownBy(() -> TrustedProxies.loopbackAnd(List.of("300.1.1.1")))
        .hasMessageContaining("is not an IP address");
  }
}
