package dev.jwagi.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Where a module's outbound HTTP requests may go: the one place that decides, for both syntaxes.
 *
 * <ul>
 *   <li>WAGI's {@code allowed_hosts} ({@link #parse}), as wasi_experimental_http 0.10.0 decides:
 *       absent or empty denies every host; {@value #ALLOW_ALL} allows every host; otherwise each
 *       entry is a URL and a request's host must equal one of their hosts (scheme, port and path of
 *       an entry restrict nothing).
 *   <li>Spin's {@code allowed_outbound_hosts} ({@link #parseSpin}): each entry is {@code
 *       scheme://host[:port]} and a request must match all three: the scheme ({@code *} any), the
 *       host ({@code *} any, {@code *.example.com} any subdomain, an IP range {@code 10.0.0.0/8},
 *       or a literal), the port ({@code *} any, {@code 8000..8100} a range without its end, absent
 *       the scheme's default: 80 or 443). Spin's v1 {@code allowed_http_hosts} is converted to it
 *       as Spin does ({@link #parseSpinHttpHosts}).
 * </ul>
 */
public final class AllowedHosts implements Predicate<URI> {
  public static final String ALLOW_ALL = "insecure:allow-all";

  /** No outbound HTTP at all. */
  public static final AllowedHosts NONE = new AllowedHosts(false, List.of(), "[]");

  private static final int ANY_PORT = -1;

  private final boolean all;
  private final List<Rule> rules;
  private final String text;

  private AllowedHosts(boolean all, List<Rule> rules, String text) {
    this.all = all;
    this.rules = List.copyOf(rules);
    this.text = text;
  }

  /**
   * One entry: scheme (null: any), host (null: any; with {@code subdomains} a suffix such as
   * ".example.com"), or an IP range, and ports from..to (to exclusive; ANY_PORT: any port).
   */
  private record Rule(
      String scheme, String host, boolean subdomains, IpRange range, int fromPort, int toPort) {
    boolean allows(String requestScheme, String requestHost, int requestPort) {
      if (scheme != null && !scheme.equals(requestScheme)) {
        return false;
      }
      if (fromPort != ANY_PORT && (requestPort < fromPort || requestPort >= toPort)) {
        return false;
      }
      if (range != null) {
        return IpRange.isLiteral(requestHost)
            && range.contains(IpRange.literal(requestHost).getAddress());
      }
      if (host == null) {
        return true;
      }
      if (subdomains) {
        return requestHost.endsWith(host) && !IpRange.isLiteral(requestHost);
      }
      return host.equals(requestHost)
          || (IpRange.isLiteral(host)
              && IpRange.isLiteral(requestHost)
              && IpRange.literal(host).equals(IpRange.literal(requestHost)));
    }
  }

  /**
   * WAGI's {@code allowed_hosts}.
   *
   * @throws IllegalArgumentException naming the first entry that is neither {@value #ALLOW_ALL} nor
   *     a URL with a host
   */
  public static AllowedHosts parse(List<String> entries) {
    boolean all = false;
    List<Rule> rules = new ArrayList<>();
    List<String> hosts = new ArrayList<>();
    for (String entry : entries) {
      if (entry.equals(ALLOW_ALL)) {
        all = true;
        continue;
      }
      String host = hostOf(entry);
      if (host == null) {
        throw new IllegalArgumentException(
            "\""
                + entry
                + "\" is not a URL with a host (e.g. \"https://api.example.com\") nor \""
                + ALLOW_ALL
                + "\"");
      }
      rules.add(new Rule(null, host, false, null, ANY_PORT, ANY_PORT));
      hosts.add(host);
    }
    return new AllowedHosts(all, rules, all ? ALLOW_ALL : hosts.toString());
  }

  /**
   * Spin's {@code allowed_outbound_hosts}. Entries for other schemes (redis, postgres, ...) are
   * kept and simply never match an HTTP request; {@code self} (Spin's relative requests to the app
   * itself) matches nothing here, with a warning through {@code warn}.
   *
   * @throws IllegalArgumentException naming the first entry Spin would refuse, and why
   */
  public static AllowedHosts parseSpin(List<String> entries, Consumer<String> warn) {
    if (entries.size() == 1 && entries.get(0).strip().equals(ALLOW_ALL)) {
      throw new IllegalArgumentException(
          "\"" + ALLOW_ALL + "\" is not allowed here (as in Spin): \"*://*:*\" allows everything");
    }
    List<Rule> rules = new ArrayList<>();
    for (String entry : entries) {
      Rule rule = spinRule(entry);
      if (rule == null) {
        warn.accept(
            "\""
                + entry
                + "\" allows requests to the app itself (Spin's \"self\"), which jwagi's outbound"
                + " HTTP does not make: it allows nothing");
      } else {
        rules.add(rule);
      }
    }
    return new AllowedHosts(false, rules, entries.toString());
  }

  /**
   * Spin's v1 {@code allowed_http_hosts} ({@code "example.com"}, {@code "example.com:8080"}, {@code
   * "https://example.com"}, {@value #ALLOW_ALL}), converted as Spin converts it: each host is
   * allowed over both http and https, at the port given (a scheme's default port is no port, so
   * each scheme gets its own), the entry's scheme restricts nothing.
   */
  public static AllowedHosts parseSpinHttpHosts(List<String> entries, Consumer<String> warn) {
    List<String> converted = new ArrayList<>();
    for (String entry : entries) {
      if (entry.equals(ALLOW_ALL)) {
        converted.addAll(List.of("http://*:*", "https://*:*"));
        continue;
      }
      String scheme = "http";
      String url = entry;
      if (entry.contains("//")) {
        scheme = entry.substring(0, Math.max(0, entry.indexOf(':'))).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
          throw new IllegalArgumentException(
              "\"" + entry + "\" is not a host, host:port or http(s) URL");
        }
      } else {
        url = "http://" + entry;
      }
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("\"" + entry + "\" is not a valid host or host:port");
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("\"" + entry + "\" has no host name");
      }
      String path = uri.getRawPath();
      if (path != null && path.length() > 1 || uri.getRawQuery() != null) {
        throw new IllegalArgumentException(
            "\"" + entry + "\" contains a path: give a host and an optional port only");
      }
      if (uri.getHost().equals("self")) {
        warn.accept(
            "\""
                + entry
                + "\" allows requests to the app itself (Spin's \"self\"), which jwagi's outbound"
                + " HTTP does not make: it allows nothing");
        continue;
      }
      int port = uri.getPort() == defaultPort(scheme) ? -1 : uri.getPort();
      String authority = uri.getHost() + (port < 0 ? "" : ":" + port);
      converted.add("http://" + authority);
      converted.add("https://" + authority);
    }
    List<String> none = new ArrayList<>();
    AllowedHosts hosts = parseSpin(converted, none::add);
    return new AllowedHosts(false, hosts.rules, entries.toString());
  }

  /** What either allows (Spin's allowed_outbound_hosts with its allowed_http_hosts). */
  public static AllowedHosts either(AllowedHosts a, AllowedHosts b) {
    List<Rule> rules = new ArrayList<>(a.rules);
    rules.addAll(b.rules);
    return new AllowedHosts(a.all || b.all, rules, a.text + " + " + b.text);
  }

  /** One allowed_outbound_hosts entry, or null for a {@code self} entry. */
  private static Rule spinRule(String original) {
    String entry = original.strip();
    if (entry.contains("{{")) {
      throw new IllegalArgumentException(
          "\""
              + original
              + "\" uses a Spin variable, which jwagi does not resolve: write the host out");
    }
    int sep = entry.indexOf("://");
    if (sep < 0) {
      throw new IllegalArgumentException(
          "\""
              + original
              + "\" has no scheme: write scheme://host[:port], e.g. \"https://example.com\""
              + " (\"*://*:*\" allows everything)");
    }
    String scheme = entry.substring(0, sep);
    String rest = entry.substring(sep + 3);
    if (!scheme.equals("*") && !scheme.matches("\\p{Alpha}+")) {
      throw new IllegalArgumentException(
          "\"" + original + "\": the scheme must be letters or \"*\" (lists are not supported)");
    }
    // host[:port][/]: a trailing slash is allowed, a path is not.
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    String host = rest;
    String port = "";
    int close = rest.startsWith("[") ? rest.indexOf(']') : -1;
    if (close > 0) {
      host = rest.substring(0, close + 1);
      if (rest.startsWith(":", close + 1)) {
        port = rest.substring(close + 2);
      } else if (close + 1 < rest.length()) {
        throw new IllegalArgumentException(
            "\"" + original + "\": expected :port after the address");
      }
    } else if (rest.indexOf(':') >= 0 && rest.indexOf(':') == rest.lastIndexOf(':')) {
      host = rest.substring(0, rest.indexOf(':'));
      port = rest.substring(rest.indexOf(':') + 1);
    } // more than one ':' and no brackets: an IPv6 address or range without a port
    int[] ports = spinPorts(original, port, scheme);
    String lowerScheme = scheme.equals("*") ? null : scheme.toLowerCase(Locale.ROOT);
    if (host.equals("*")) {
      return new Rule(lowerScheme, null, false, null, ports[0], ports[1]);
    }
    if (host.equals("self") || host.equals("self.alt")) {
      return null;
    }
    if (host.contains("/")) {
      try {
        return new Rule(lowerScheme, null, false, IpRange.parse(host), ports[0], ports[1]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "\"" + original + "\": the host must not include a path (" + e.getMessage() + ")");
      }
    }
    if (host.startsWith("{")) {
      throw new IllegalArgumentException("\"" + original + "\": host lists are not supported");
    }
    if (host.startsWith("*.")) {
      String domain = host.substring(1).toLowerCase(Locale.ROOT);
      if (domain.contains("*") || domain.length() < 2 || IpRange.isLiteral(domain.substring(1))) {
        throw new IllegalArgumentException(
            "\"" + original + "\": a wildcard is allowed only as \"*.domain\"");
      }
      return new Rule(lowerScheme, domain, true, null, ports[0], ports[1]);
    }
    if (host.contains("*")) {
      throw new IllegalArgumentException(
          "\"" + original + "\": a wildcard is allowed only as \"*\" or \"*.domain\"");
    }
    String literal = hostOf("http://" + host);
    if (literal == null && IpRange.isLiteral(host)) {
      literal = "[" + host + "]";
    }
    if (literal == null || host.isEmpty()) {
      throw new IllegalArgumentException("\"" + original + "\": \"" + host + "\" is not a host");
    }
    return new Rule(lowerScheme, literal, false, null, ports[0], ports[1]);
  }

  /** {from, to (exclusive)}, or ANY_PORT twice. */
  private static int[] spinPorts(String original, String port, String scheme) {
    if (port.isEmpty()) {
      int known = defaultPort(scheme.toLowerCase(Locale.ROOT));
      if (known < 0) {
        throw new IllegalArgumentException(
            "\""
                + original
                + "\" has no port and the scheme \""
                + scheme
                + "\" has no known default port");
      }
      return new int[] {known, known + 1};
    }
    if (port.equals("*")) {
      return new int[] {ANY_PORT, ANY_PORT};
    }
    try {
      int range = port.indexOf("..");
      if (range >= 0) {
        int from = Integer.parseInt(port.substring(0, range));
        int to = Integer.parseInt(port.substring(range + 2));
        checkPort(from);
        checkPort(to);
        return new int[] {from, to};
      }
      int single = Integer.parseInt(port);
      checkPort(single);
      return new int[] {single, single + 1};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "\"" + original + "\": the port \"" + port + "\" is not a number, a range a..b or \"*\"");
    }
  }

  private static void checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new NumberFormatException();
    }
  }

  /** The default port of the schemes Spin knows, or -1. */
  private static int defaultPort(String scheme) {
    return switch (scheme) {
      case "http" -> 80;
      case "https" -> 443;
      case "postgres" -> 5432;
      case "mysql" -> 3306;
      case "redis" -> 6379;
      case "mqtt" -> 1883;
      default -> -1;
    };
  }

  /** The host of an absolute URL, lower-cased (IPv6 in brackets), or null if it has none. */
  public static String hostOf(String url) {
    try {
      URI uri = new URI(url);
      return uri.getScheme() == null || uri.getHost() == null
          ? null
          : uri.getHost().toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** Whether a request to this absolute http(s) URL may go out. */
  @Override
  public boolean test(URI url) {
    if (all) {
      return true;
    }
    if (url.getScheme() == null || url.getHost() == null) {
      return false;
    }
    String scheme = url.getScheme().toLowerCase(Locale.ROOT);
    String host = url.getHost().toLowerCase(Locale.ROOT);
    int port = url.getPort() >= 0 ? url.getPort() : defaultPort(scheme);
    for (Rule rule : rules) {
      if (rule.allows(scheme, host, port)) {
        return true;
      }
    }
    return false;
  }

  public boolean isEmpty() {
    return !all && rules.isEmpty();
  }

  @Override
  public String toString() {
    return text;
  }
}
