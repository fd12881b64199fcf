package dev.jwagi.config;

/**
 * A route as written in modules.toml or printed by {@code _routes}: {@code /foo} matches exactly
 * /foo; {@code /foo/...} matches /foo and anything under /foo/ (not /foobar); {@code /...} matches
 * everything. The one place that knows the {@code /...} wildcard rule. Only {@link #parse} makes
 * one, so every pattern has been checked.
 */
public final class RoutePattern {
  private static final String WILDCARD = "/...";

  private final String text;

  private RoutePattern(String text) {
    this.text = text;
  }

  /**
   * Checks a route's syntax. Throws {@link IllegalArgumentException} with a message fit to follow
   * the name of where the route came from.
   */
  public static RoutePattern parse(String text) {
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("\"" + text + "\" must start with \"/\"");
    }
    if (text.contains("...")
        && !(text.endsWith(WILDCARD) && text.indexOf("...") == text.length() - 3)) {
      throw new IllegalArgumentException(
          "\"" + text + "\": \"...\" is only allowed as the last segment, as in \"/foo/...\"");
    }
    return new RoutePattern(text);
  }

  /** The route as written, e.g. {@code /env/...}. */
  public String text() {
    return text;
  }

  public boolean wildcard() {
    return text.endsWith(WILDCARD);
  }

  /**
   * The route without a trailing {@code /...} (this is SCRIPT_NAME): {@code /foo/...} gives "/foo",
   * {@code /...} gives "". An exact route gives itself.
   */
  public String base() {
    return wildcard() ? text.substring(0, text.length() - WILDCARD.length()) : text;
  }

  /** Whether a request path (still percent-encoded) matches. */
  public boolean matches(String path) {
    if (!wildcard()) {
      return text.equals(path);
    }
    String base = base();
    return path.equals(base) || (path.startsWith(base) && path.startsWith("/", base.length()));
  }

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
    return parse(base + sub);
  }

  // A class, not a record: a record's generated equals and hashCode are linked on first call
  // (~10 ms of start-up each, not kept by the JVM's class-data archives); the route table
  // compares patterns.
  @Override
  public boolean equals(Object other) {
    return other instanceof RoutePattern pattern && text.equals(pattern.text);
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
