package dev.jwagi.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The peers whose {@code Forwarded: proto=} / {@code X-Forwarded-Proto} headers jwagi believes
 * ({@code --trust-proxy}): nobody by default; with the flag, loopback (where Knative's queue-proxy
 * connects from) plus every address or CIDR range given. Tested against a connection's remote IP.
 */
public final class TrustedProxies implements Predicate<String> {
  /** Nobody: no client may say it came over https. */
  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final List<Range> ranges;

  private TrustedProxies(List<Range> ranges) {
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
    List<Range> ranges = new ArrayList<>();
    ranges.add(Range.parse("127.0.0.0/8"));
    ranges.add(Range.parse("::1/128"));
    for (String address : addresses) {
      if (!address.isBlank()) {
        ranges.add(Range.parse(address.strip()));
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
      address = literal(ip).getAddress();
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (Range range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** An IP literal, never a DNS lookup. */
  private static InetAddress literal(String text) {
    String bare =
        text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (!IPV4.matcher(bare).matches() && !bare.contains(":")) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
    }
    try {
      // A literal (IPv4 dotted quad, or anything with ':' = IPv6) is parsed, never looked up.
      return InetAddress.getByName(bare);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
    }
  }

  private record Range(byte[] network, int prefix) {
    static Range parse(String text) {
      int slash = text.indexOf('/');
      byte[] network = literal(slash < 0 ? text : text.substring(0, slash)).getAddress();
      int bits = network.length * 8;
      int prefix = bits;
      if (slash >= 0) {
        String length = text.substring(slash + 1);
        if (!length.matches("\\d{1,3}") || Integer.parseInt(length) > bits) {
          throw new IllegalArgumentException(
              "\"" + text + "\": the prefix length must be 0 to " + bits);
        }
        prefix = Integer.parseInt(length);
      }
      return new Range(network, prefix);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit += 8) {
        int mask = prefix - bit >= 8 ? 0xff : (0xff << (8 - (prefix - bit))) & 0xff;
        if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
