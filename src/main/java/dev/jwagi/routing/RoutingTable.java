package dev.jwagi.routing;

import dev.jwagi.config.RoutePattern;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the route for a request path: the most specific one wins ({@link
 * RoutePattern#MOST_SPECIFIC_FIRST}: an exact route beats a wildcard, a longer wildcard prefix
 * beats a shorter one), and only the same route written twice falls back to file order (warned at
 * start-up). The built-ins /healthz (as in WAGI), /readyz (and /metrics) beat everything.
 *
 * <p>Immutable, and it holds nothing that needs closing: a reload replaces a table whole ({@link
 * ServingTable}), and an old one is garbage once its last request ends. What must outlive a table
 * (the memory budget, deadlines, readiness, per-route counts and logs) is in {@link
 * ServerResources}.
 */
public final class RoutingTable {
  private static final Logger log = LoggerFactory.getLogger(RoutingTable.class);

  private final Map<String, Route> exact = new HashMap<>();

  /** Every route that is not one literal path (wildcards, Spin routes), most specific first. */
  private final List<Route> patterns = new ArrayList<>();

  private final List<Route> all;

  /**
   * routes: in file order (their {@code order}); the built-ins /healthz and /readyz (answering
   * {@code readiness}) are added here, and the other built-ins given (route → handler; they too win
   * over a module routed there).
   */
  RoutingTable(List<Route> routes, Map<String, Handler> builtIns, Readiness readiness) {
    List<Route> withHealth = new ArrayList<>();
    withHealth.add(new Route(RoutePattern.parse(HealthHandler.ROUTE), new HealthHandler(), -1));
    withHealth.add(
        new Route(RoutePattern.parse(ReadyHandler.ROUTE), new ReadyHandler(readiness), -2));
    builtIns.forEach(
        (route, handler) ->
            withHealth.add(new Route(RoutePattern.parse(route), handler, -1 - withHealth.size())));
    withHealth.addAll(routes);
    // Plain lambdas, not Comparator.comparingInt: those are linked at start-up (~4 ms).
    withHealth.sort((a, b) -> Integer.compare(a.order(), b.order()));
    for (Route route : withHealth) {
      if (!route.pattern().exactLiteral()) {
        var first = patterns.stream().filter(w -> w.pattern().equals(route.pattern())).findFirst();
        if (first.isPresent()) {
          warnDuplicate(first.get(), route);
        } else {
          patterns.add(route);
        }
      } else {
        Route first = exact.putIfAbsent(route.pattern().text(), route);
        if (first != null) {
          warnDuplicate(first, route);
        }
      }
    }
    // The sort is stable: routes that tie keep file order.
    patterns.sort((a, b) -> RoutePattern.MOST_SPECIFIC_FIRST.compare(a.pattern(), b.pattern()));
    this.all = List.copyOf(withHealth);
  }

  private static void warnDuplicate(Route first, Route route) {
    if (first.order() < 0) {
      log.warn(
          "route {} is the {} and takes precedence over the module",
          route.pattern(),
          first.handler());
    } else {
      log.warn("route {} is defined more than once; the first in file order wins", route.pattern());
    }
  }

  /**
   * A table of these routes (plus the built-ins, /readyz answering {@code readiness}), e.g. for
   * tests with handlers of their own.
   */
  public static RoutingTable of(List<Route> routes, Readiness readiness) {
    return new RoutingTable(routes, Map.of(), readiness);
  }

  /** The route for a request path (still percent-encoded), or null: 404. */
  public Route match(String path) {
    Route route = exact.get(path);
    if (route != null) {
      return route;
    }
    for (Route pattern : patterns) {
      if (pattern.matches(path)) {
        return pattern;
      }
    }
    return null;
  }

  /** Every route as written, built-ins included (each once), in file order. */
  public Set<String> patterns() {
    Set<String> patterns = new LinkedHashSet<>();
    for (Route route : all) {
      patterns.add(route.pattern().text());
    }
    return patterns;
  }

  /** Every route, built-in and shadowed ones included, in file order. */
  public List<Route> routes() {
    return all;
  }
}
