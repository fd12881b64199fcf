package dev.jwagi.cgi;

import dev.jwagi.config.RoutePattern;
import dev.jwagi.config.SpinRoute;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The route a request matched, as the cgi layer needs it. A value (equal when its parts are), and a
 * class rather than a record: {@link CgiEnvironment} looks it up on every request, so its hash is
 * computed once, and a record's generated hashCode would cost ~3 ms to link at start-up.
 */
public final class MatchedRoute {
  private final RoutePattern route;
  private final String scriptName;
  private final String argvTemplate;
  private final Map<String, String> env;
  private final SpinRoute spin;
  private final int hash;

  /**
   * @param route the route as configured, e.g. {@code /env/...}
   * @param argvTemplate the route's {@code argv} template, or null for none
   * @param env the module's own {@code environment} variables, in order: after the global env,
   *     before the CGI variables
   */
  public MatchedRoute(RoutePattern route, String argvTemplate, Map<String, String> env) {
    this(route, argvTemplate, env, null);
  }

  /**
   * spin: for a route of a spin.toml, what Spin's WAGI executor adds to WAGI's variables (as Spin
   * does: spinframework/spin crates/trigger-http/src/wagi.rs); null for WAGI's alone.
   */
  public MatchedRoute(
      RoutePattern route, String argvTemplate, Map<String, String> env, SpinRoute spin) {
    this.route = Objects.requireNonNull(route, "route");
    this.scriptName = spin != null ? spin.scriptName() : route.base();
    this.argvTemplate = argvTemplate;
    this.env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    this.spin = spin;
    this.hash = Objects.hash(route, argvTemplate, this.env, spin);
  }

  public MatchedRoute(RoutePattern route, String argvTemplate) {
    this(route, argvTemplate, Map.of());
  }

  public RoutePattern route() {
    return route;
  }

  public String argvTemplate() {
    return argvTemplate;
  }

  public Map<String, String> env() {
    return env;
  }

  /** What a spin.toml route adds, or null. */
  public SpinRoute spin() {
    return spin;
  }

  /** SCRIPT_NAME: the route without a trailing {@code /...}; {@code /...} alone gives "". */
  public String scriptName() {
    return scriptName;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MatchedRoute that
        && hash == that.hash
        && route.equals(that.route)
        && Objects.equals(argvTemplate, that.argvTemplate)
        && env.equals(that.env)
        && Objects.equals(spin, that.spin);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return "MatchedRoute[route="
        + route
        + ", argvTemplate="
        + argvTemplate
        + ", env="
        + env
        + (spin == null ? "" : ", spin=" + spin)
        + "]";
  }
}
