package dev.jwagi.observe;

import java.util.Collection;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What the serving path reports for operators: the access log and the metrics both listen here, so
 * the http, routing and engine code report each event once and know nothing of either. Every method
 * has an empty default; {@link #NONE} ignores everything. Implementations must be cheap and
 * thread-safe: they are called on event loops and worker threads.
 */
public interface ServerEvents {
  ServerEvents NONE = new ServerEvents() {};

  /**
   * At start-up or a reload: a module was compiled, or its compiled classes came from the module
   * cache (a module a reload reuses from memory is not loaded again).
   */
  default void moduleLoaded(String module, boolean cacheHit, long nanos) {}

  /**
   * Once, when the server starts: live counts of guests running and of requests waiting for a guest
   * slot, read whenever metrics are scraped.
   */
  default void guestPool(IntSupplier running, IntSupplier queued) {}

  /**
   * Once, when the server listens: live reads of the memory budget in use (--max-buffered) and of
   * the spool's disk budget in use (--max-spool), in bytes.
   */
  default void budgets(LongSupplier memoryUsed, LongSupplier spoolUsed) {}

  /** A guest run ended; {@code prepareNanos} is the fresh instance's set-up, within the run. */
  default void guestRun(String route, GuestOutcome outcome, long prepareNanos, long runNanos) {}

  /** A guest's memory.grow was refused because the server's memory budget was full. */
  default void growRefused(String route) {}

  /** A request was refused with 503 + Retry-After because a concurrency bound was reached. */
  default void backpressure(String route) {}

  /** A connection was closed because its client read nothing for the write timeout. */
  default void writeTimeout(String route) {}

  /** A request is finished: answered, or given up (client gone, response cut). */
  default void requestDone(RequestRecord request) {}

  /**
   * A configuration's routing table serves new requests from now on: at start-up ({@code reload}
   * false) and after each successful reload. {@code routes}: its routes as written.
   */
  default void configServed(boolean reload, Collection<String> routes) {}

  /** A reload failed: the previous configuration goes on serving. */
  default void configReloadFailed() {}
}
