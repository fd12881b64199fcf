package dev.jwagi.routing;

import dev.jwagi.config.RoutePattern;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-route state that a reload carries over from one table to the next, keyed by the route as
 * written: how many guests of the route run now (so that its {@code max_concurrency} counts the
 * requests still in flight on the old table too) and its stderr log (one writer per file, so that
 * runs of the old and the new table never interleave within an entry). After a table is served, the
 * states of routes it no longer has are dropped; requests in flight on the old table keep the
 * objects they hold.
 */
public final class RouteStates {
  private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
  private final Map<Path, StderrLog> stderrLogs = new ConcurrentHashMap<>();

  /** The count of the route's guests running now, shared by every table that has the route. */
  AtomicInteger running(RoutePattern route) {
    return running.computeIfAbsent(route.text(), r -> new AtomicInteger());
  }

  /**
   * The route's stderr log under {@code logDir}, shared by every table that has the route; rotated
   * at {@code maxFileBytes}.
   */
  StderrLog stderrLog(Path logDir, RoutePattern route, long maxFileBytes) {
    return stderrLogs.computeIfAbsent(
        logDir.resolve(StderrLog.fileName(route)), file -> new StderrLog(file, maxFileBytes));
  }

  /** Keeps the states of {@code table}'s routes only (call once it serves). */
  public void retainOnly(RoutingTable table) {
    Set<Path> files = new HashSet<>();
    for (Route route : table.routes()) {
      if (route.handler() instanceof ModuleHandler module) {
        files.add(module.stderrFile());
      }
    }
    running.keySet().retainAll(table.patterns());
    stderrLogs.keySet().retainAll(files);
  }
}
