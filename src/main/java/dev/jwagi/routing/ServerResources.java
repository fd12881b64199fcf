package dev.jwagi.routing;

import dev.jwagi.config.ConnectionLimits;
import dev.jwagi.engine.Deadlines;
import dev.jwagi.memory.MemoryBudget;

/**
 * What lives as long as the server, not as long as one routing table: a reload replaces the table
 * and keeps these. Whoever needs one is given it (the http layer the budget and readiness, the
 * tables' handlers the budget, deadlines and route states).
 *
 * @param budget the memory budget (--max-buffered) guests and request buffers are charged to
 * @param deadlines the guest timer
 * @param readiness what /readyz answers
 * @param routeStates per-route state that outlives a table (see {@link RouteStates})
 */
public record ServerResources(
    MemoryBudget budget, Deadlines deadlines, Readiness readiness, RouteStates routeStates)
    implements AutoCloseable {

  /** Fresh resources for a server with these limits. */
  public static ServerResources of(ConnectionLimits limits) {
    return new ServerResources(
        new MemoryBudget(limits.maxBufferedBytes()),
        new Deadlines(),
        new Readiness(),
        new RouteStates());
  }

  /** Once the server has stopped: no guest deadline fires after this. */
  @Override
  public void close() {
    deadlines.close();
  }
}
