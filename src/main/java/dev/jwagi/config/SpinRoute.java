package dev.jwagi.config;

/**
 * A route of a spin.toml and what Spin's WAGI executor tells the module about it beyond WAGI's
 * variables (spinframework/spin crates/trigger-http/src/headers.rs compute_default_headers, and
 * crates/routes/src/lib.rs for the based and raw routes).
 *
 * @param pattern as Spin's router has it (the v1 base prepended); it also captures PATH_INFO and
 *     the {@code :name} segments
 * @param rawRoute the {@code route} as written
 * @param base the v1 {@code base}, "/" without one
 */
public record SpinRoute(RoutePattern pattern, String rawRoute, String base) {
  /** X_MATCHED_ROUTE: the route with the base, "" for the root route (Spin drops its slash). */
  public String matchedRoute() {
    return pattern.text().equals("/") ? "" : pattern.text();
  }

  /** SCRIPT_NAME: {@link #matchedRoute} without a trailing {@code /...}. */
  public String scriptName() {
    return RoutePattern.withoutWildcard(matchedRoute());
  }

  /** X_COMPONENT_ROUTE: the route as written without a trailing {@code /...}. */
  public String componentRoute() {
    return RoutePattern.withoutWildcard(rawRoute);
  }
}
