package dev.jwagi.cgi;

import dev.jwagi.config.RoutePattern;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The route a request matched, as the cgi layer needs it.
 *
 * @param route as written in modules.toml, e.g. {@code /env/...}
 * @param argvTemplate the route's {@code argv} template, or null for none
 * @param env the module's own {@code environment} variables, in order: after the global env, before
 *     the CGI variables
 */
public record MatchedRoute(String route, String argvTemplate, Map<String, String> env) {
  public MatchedRoute {
    Objects.requireNonNull(route, "route");
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }

  public MatchedRoute(String route, String argvTemplate) {
    this(route, argvTemplate, Map.of());
  }

  /** SCRIPT_NAME: the route without a trailing {@code /...}; {@code /...} alone gives "". */
  public String scriptName() {
    return new RoutePattern(route).base();
  }
}
