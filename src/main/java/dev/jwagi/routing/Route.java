package dev.jwagi.routing;

import dev.jwagi.config.RoutePattern;

/**
 * A route ({@code /foo} or {@code /foo/...}) and what answers it.
 *
 * @param order position in file order (dynamic {@code _routes} just before their parent), used only
 *     to break true ties
 */
public record Route(RoutePattern pattern, Handler handler, int order) {
  public boolean wildcard() {
    return pattern.wildcard();
  }

  boolean matches(String path) {
    return pattern.matches(path);
  }
}
