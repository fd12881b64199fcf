package dev.jwagi.routing;

import dev.jwagi.config.RoutePattern;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the route for a request path: the most specific one wins. An exact route beats a wildcard,
 * a longer wildcard prefix beats a shorter one, and only the same route written twice falls back to
 * file order (warned at start-up). The built-in /healthz (and /metrics) beat everything, as
 * /healthz does in WAGI.
 */
public final class RoutingTable implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RoutingTable.class);

  private final Map<String, Route> exact = new HashMap<>();
  private final List<Route> wildcards = new ArrayList<>();
  private final List<Route> all;

  private final Deadlines deadlines;

  /**
   * routes: in file order (their {@code order}); the built-in /healthz is added here, and the other
   * built-ins given (route → handler; they too win over a module routed there). deadlines: the
   * timer the routes' handlers use, stopped by {@link #close}.
   */
  RoutingTable(List<Route> routes, Map<String, Handler> builtIns, Deadlines deadlines) {
    this.deadlines = deadlines;
    List<Route> withHealth = new ArrayList<>();
    withHealth.add(new Route(new RoutePattern(HealthHandler.ROUTE), new HealthHandler(), -1));
    builtIns.forEach(
        (route, handler) ->
            withHealth.add(new Route(new RoutePattern(route), handler, -1 - withHealth.size())));
    withHealth.addAll(routes);
    withHealth.sort(Comparator.comparingInt(Route::order));
    for (Route route : withHealth) {
      if (route.wildcard()) {
        var first = wildcards.stream().filter(w -> w.pattern().equals(route.pattern())).findFirst();
        if (first.isPresent()) {
          warnDuplicate(first.get(), route);
        } else {
          wildcards.add(route);
        }
      } else {
        Route first = exact.putIfAbsent(route.pattern().text(), route);
        if (first != null) {
          warnDuplicate(first, route);
        }
      }
    }
    // Longest prefix first; the sort is stable, so equal lengths keep file order.
    wildcards.sort(Comparator.comparingInt((Route r) -> r.pattern().base().length()).reversed());
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

  /** The route for a request path (still percent-encoded), or null: 404. */
  public Route match(String path) {
    Route route = exact.get(path);
    if (route != null) {
      return route;
    }
    for (Route wildcard : wildcards) {
      if (wildcard.matches(path)) {
        return wildcard;
      }
    }
    return null;
  }

  /** Call once no request is in progress any more. */
  @Override
  public void close() {
    deadlines.close();
  }

  /** Every route, built-in and shadowed ones included, in file order. */
  public List<Route> routes() {
    return all;
  }
}
