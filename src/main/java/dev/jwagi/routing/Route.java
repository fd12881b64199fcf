package dev.jwagi.routing;

/**
 * A route as written in modules.toml ({@code /foo} or {@code /foo/...}) and what answers it.
 *
 * @param order position in file order (dynamic {@code _routes} just before their parent), used only
 *     to break true ties
 */
public record Route(String pattern, Handler handler, int order) {
  private static final String WILDCARD = "/...";

  public boolean wildcard() {
    return pattern.endsWith(WILDCARD);
  }

  /** For {@code /foo/...}: "/foo"; for {@code /...}: "". For an exact route: the route. */
  public String base() {
    return baseOf(pattern);
  }

  static String baseOf(String pattern) {
    return pattern.endsWith(WILDCARD)
        ? pattern.substring(0, pattern.length() - WILDCARD.length())
        : pattern;
  }

  /** {@code /foo/...} matches {@code /foo} and anything under {@code /foo/}, not /foobar. */
  boolean matches(String path) {
    if (!wildcard()) {
      return pattern.equals(path);
    }
    String base = base();
    return path.equals(base) || (path.startsWith(base) && path.startsWith("/", base.length()));
  }
}
