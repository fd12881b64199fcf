package dev.jwagi.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A module's {@code allowed_hosts}: the hosts its outbound HTTP requests may go to, as WAGI's
 * wasi_experimental_http 0.10.0 decides: absent or empty denies every host; {@value #ALLOW_ALL}
 * allows every host; otherwise each entry is a URL and a request's host must equal one of their
 * hosts (scheme, port and path of an entry do not restrict anything, as in WAGI).
 */
public final class AllowedHosts implements Predicate<String> {
  public static final String ALLOW_ALL = "insecure:allow-all";

  /** No outbound HTTP at all. */
  public static final AllowedHosts NONE = new AllowedHosts(false, Set.of());

  private final boolean all;
  private final Set<String> hosts;

  private AllowedHosts(boolean all, Set<String> hosts) {
    this.all = all;
    this.hosts = Set.copyOf(hosts);
  }

  /**
   * @throws IllegalArgumentException naming the first entry that is neither {@value #ALLOW_ALL} nor
   *     a URL with a host
   */
  public static AllowedHosts parse(List<String> entries) {
    boolean all = false;
    Set<String> hosts = new LinkedHashSet<>();
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
      hosts.add(host);
    }
    return new AllowedHosts(all, hosts);
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

  /** Whether a request to {@code host} (as {@link #hostOf} gives it) may go out. */
  @Override
  public boolean test(String host) {
    return all || hosts.contains(host);
  }

  public boolean isEmpty() {
    return !all && hosts.isEmpty();
  }

  @Override
  public String toString() {
    return all ? ALLOW_ALL : hosts.toString();
  }
}
