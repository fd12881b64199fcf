package dev.jwagi.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The peers whose {@code Forwarded: proto=} / {@code X-Forwarded-Proto} headers jwagi believes
 * ({@code --trust-proxy}): nobody by default; with the flag, loopback (where Knative's queue-proxy
 * connects from) plus every address or CIDR range given. Tested against a connection's remote IP.
 */
public final class TrustedProxies implements Predicate<String> {
  /** Nobody: no client may say it came over https. */
  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  private final List<IpRange> ranges;

  private TrustedProxies(List<IpRange> ranges) {
    this.ranges = List.copyOf(ranges);
  }

  /**
   * Loopback plus {@code addresses}: each an IP literal ({@code 10.0.0.7}, {@code fd00::1}) or a
   * CIDR range ({@code 10.0.0.0/8}); empty entries are skipped. Host names are refused (a DNS
   * answer must not decide trust).
   *
   * @throws IllegalArgumentException naming the first entry that is not an address or range
   */
  public static TrustedProxies loopbackAnd(List<String> addresses) {
    List<IpRange> ranges = new ArrayList<>();
    ranges.add(IpRange.parse("127.0.0.0/8"));
    ranges.add(IpRange.parse("::1/128"));
    for (String address : addresses) {
      if (!address.isBlank()) {
        ranges.add(IpRange.parse(address.strip()));
      }
    }
    return new TrustedProxies(ranges);
  }

  /** Whether {@code ip} (an IP literal, as a connection's remote address) is a trusted proxy. */
  @Override
  public boolean test(String ip) {
    if (ranges.isEmpty()) {
      return false;
    }
    byte[] address;
    try {
      address = IpRange.literal(ip).getAddress();
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (IpRange range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }
}
