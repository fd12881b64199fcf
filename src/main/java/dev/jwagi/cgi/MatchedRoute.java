package dev.jwagi.cgi;

import java.util.Objects;

/**
 * The route a request matched, as the cgi layer needs it.
 *
 * @param route as written in modules.toml, e.g. {@code /env/...}
 * @param argvTemplate the route's {@code argv} template, or null for none
 */
public record MatchedRoute(String route, String argvTemplate) {
  private static final String WILDCARD = "/...";

  public MatchedRoute {
    Objects.requireNonNull(route, "route");
  }

  /** The route without a trailing {@code /...}; {@code /...} alone gives "". */
  public String scriptName() {
    return route.endsWith(WILDCARD)
        ? route.substring(0, route.length() - WILDCARD.length())
        : route;
  }
}
