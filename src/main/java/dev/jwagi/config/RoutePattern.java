package dev.jwagi.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A route, the one place that knows how routes match and which of several wins. Two syntaxes:
 *
 * <ul>
 *   <li>WAGI's (modules.toml, {@code _routes}): {@code /foo} matches exactly /foo; {@code /foo/...}
 *       matches /foo and anything under /foo/ (not /foobar); {@code /...} matches everything.
 *   <li>Spin's ({@code spin.toml}, {@link #parseSpin}), as Spin's router (routefinder 0.5) matches:
 *       the same, plus {@code :name} segments that match any one non-empty segment, and leading and
 *       trailing slashes of the request path do not count ({@code /foo} matches {@code /foo/}).
 * </ul>
 *
 * Only {@link #parse} and {@link #parseSpin} make one, so every pattern has been checked. When
 * several routes match, the most specific wins ({@link #MOST_SPECIFIC_FIRST}): comparing segment by
 * segment from the left, a literal beats a {@code :name}, which beats {@code /...}; then the route
 * with fewer segments. For WAGI routes this is "an exact route beats a wildcard, a longer wildcard
 * prefix beats a shorter one".
 */
public final class RoutePattern {
  private static final String WILDCARD = "/...";

  private final String text;
  private final boolean spin;

  /** Segments of a Spin route (each a literal, ":name", or "..." last); null for WAGI's. */
  private final String[] segments;

  private RoutePattern(String text, boolean spin) {
    this.text = Objects.requireNonNull(text, "text");
    this.spin = spin;
    this.segments = spin ? split(text) : null;
  }

  /**
   * Checks a WAGI route's syntax. Throws {@link IllegalArgumentException} with a message fit to
   * follow the name of where the route came from.
   */
  public static RoutePattern parse(String text) {
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("\"" + text + "\" must start with \"/\"");
    }
    checkWildcardLast(text);
    return new RoutePattern(text, false);
  }

  /**
   * A Spin route, as Spin's router reads it: a missing leading slash is added, one trailing slash
   * dropped; with a (v1) {@code base} prepended ("/" is none). Throws {@link
   * IllegalArgumentException} for what Spin's router refuses, and for {@code *} wildcards and
   * {@code :name.ext} segments, which jwagi does not support.
   */
  public static RoutePattern parseSpin(String route, String base) {
    String based = stripOneSlash(absolute(base)) + stripOneSlash(absolute(route));
    checkWildcardLast(based);
    for (String segment : split(based)) {
      if (segment.equals(":")) {
        throw new IllegalArgumentException("\"" + route + "\": a \":\" segment needs a name");
      }
      if (segment.startsWith(":") && segment.indexOf('.') >= 0) {
        throw new IllegalArgumentException(
            "\"" + route + "\": a \":name\" segment with a dot is not supported by jwagi");
      }
      if (segment.contains("*")) {
        throw new IllegalArgumentException(
            "\"" + route + "\": \"*\" wildcards are not supported by jwagi: write \"/...\"");
      }
    }
    return new RoutePattern(based.isEmpty() ? "/" : based, true);
  }

  private static String absolute(String s) {
    return s.startsWith("/") ? s : "/" + s;
  }

  private static String stripOneSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static void checkWildcardLast(String text) {
    if (text.contains("...")
        && !(text.endsWith(WILDCARD) && text.indexOf("...") == text.length() - 3)) {
      throw new IllegalArgumentException(
          "\"" + text + "\": \"...\" is only allowed as the last segment, as in \"/foo/...\"");
    }
  }

  /** Path segments without leading and trailing slashes ("/" and "" have none). */
  private static String[] split(String path) {
    int from = 0;
    int to = path.length();
    while (from < to && path.charAt(from) == '/') {
      from++;
    }
    while (to > from && path.charAt(to - 1) == '/') {
      to--;
    }
    return from == to ? new String[0] : path.substring(from, to).split("/", -1);
  }

  /** The route: as written (WAGI), or as Spin's router has it (base prepended, "/" for none). */
  public String text() {
    return text;
  }

  /** Whether this route has Spin's syntax and matching. */
  public boolean spin() {
    return spin;
  }

  public boolean wildcard() {
    return text.endsWith(WILDCARD);
  }

  /** Whether the route is a single literal path (a table lookup finds it). */
  public boolean exactLiteral() {
    return !spin && !wildcard();
  }

  /**
   * The route without a trailing {@code /...} (this is SCRIPT_NAME): {@code /foo/...} gives "/foo",
   * {@code /...} gives "". An exact route gives itself.
   */
  public String base() {
    return withoutWildcard(text);
  }

  /** A route as written without its trailing {@code /...}, if it has one. */
  static String withoutWildcard(String route) {
    return route.endsWith(WILDCARD)
        ? route.substring(0, route.length() - WILDCARD.length())
        : route;
  }

  /** Whether a request path (still percent-encoded) matches. */
  public boolean matches(String path) {
    if (spin) {
      return captures(path) != null;
    }
    if (!wildcard()) {
      return text.equals(path);
    }
    String base = base();
    return path.equals(base) || (path.startsWith(base) && path.startsWith("/", base.length()));
  }

  /**
   * What a Spin route captures from a matching path, or null if it does not match: each {@code
   * :name} segment's value, and under the key "" the part the trailing {@code /...} matched as Spin
   * gives it (PATH_INFO): "" for none, else with a leading slash, and a trailing one if the path
   * ends in one ({@code /foo/...} on {@code /foo/} gives "/", on {@code /foo/bar/} "/bar/").
   */
  public Map<String, String> captures(String path) {
    String[] parts = split(path);
    boolean wild = wildcard();
    int fixed = wild ? segments.length - 1 : segments.length;
    if (parts.length < fixed || (!wild && parts.length != fixed)) {
      return null;
    }
    Map<String, String> captures = new LinkedHashMap<>();
    for (int i = 0; i < fixed; i++) {
      String segment = segments[i];
      if (segment.startsWith(":")) {
        if (parts[i].isEmpty()) {
          return null;
        }
        captures.put(segment.substring(1), parts[i]);
      } else if (!segment.equals(parts[i])) {
        return null;
      }
    }
    if (wild) {
      String rest = String.join("/", List.of(parts).subList(fixed, parts.length));
      boolean slash = path.endsWith("/");
      captures.put("", rest.isEmpty() ? (slash ? "/" : "") : "/" + rest + (slash ? "/" : ""));
    }
    return captures;
  }

  /** 2 a literal segment, 1 a :name, 0 the trailing wildcard. */
  private static int rank(String segment, boolean spin) {
    if (segment.equals("...")) {
      return 0;
    }
    return spin && segment.startsWith(":") ? 1 : 2;
  }

  private String[] rankedSegments() {
    return segments != null ? segments : split(text);
  }

  /**
   * Most specific first: segment by segment from the left, literal before {@code :name} before
   * {@code /...}; then fewer segments first. Routes that tie keep their order (sorts are stable).
   */
  public static final java.util.Comparator<RoutePattern> MOST_SPECIFIC_FIRST =
      (a, b) -> {
        String[] x = a.rankedSegments();
        String[] y = b.rankedSegments();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
          int c = Integer.compare(rank(y[i], b.spin), rank(x[i], a.spin));
          if (c != 0) {
            return c;
          }
        }
        return Integer.compare(x.length, y.length);
      };

  /**
   * A {@code _routes} sub-route under this one: the base and {@code subpath} joined with one slash,
   * as WAGI does: {@code /} + {@code /hello} is {@code /hello}, {@code /x/} + {@code /y} is {@code
   * /x/y}, {@code /app/...} + {@code /hello} is {@code /app/hello}.
   */
  public RoutePattern join(RoutePattern subpath) {
    String base = base();
    String sub = subpath.text;
    if (base.endsWith("/") && sub.startsWith("/")) {
      sub = sub.substring(1);
    }
    return spin ? new RoutePattern(base + sub, true) : parse(base + sub);
  }

  // A class, not a record: a record's generated equals and hashCode are linked on first call
  // (~10 ms of start-up each, not kept by the JVM's class-data archives); the route table
  // compares patterns.
  @Override
  public boolean equals(Object other) {
    return other instanceof RoutePattern pattern
        && spin == pattern.spin
        && text.equals(pattern.text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
