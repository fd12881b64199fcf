package dev.jwagi.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IP address or CIDR range ({@code 10.0.0.0/8}, {@code fd00::/8}): who is a trusted proxy, and
 * which addresses a Spin {@code allowed_outbound_hosts} entry covers. Literals only, never a DNS
 * lookup.
 */
record IpRange(byte[] network, int prefix) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /**
   * @throws IllegalArgumentException if {@code text} is not an IP literal with an optional prefix
   *     length
   */
  static IpRange parse(String text) {
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
    return new IpRange(network, prefix);
  }

  /** Whether {@code text} is an IP literal (IPv6 with or without brackets). */
  static boolean isLiteral(String text) {
    try {
      literal(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** An IP literal, never a DNS lookup. */
  static InetAddress literal(String text) {
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
