package dev.jwagi.reload;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.RoutingTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration without dropping a request: loads it again, builds a complete new
 * routing table with exactly the start-up path, and only then swaps it in whole. A configuration
 * that fails anywhere on the way changes nothing: the previous table goes on serving, and the error
 * (naming file, route and key) is logged and counted. One reload at a time; requests for more while
 * one runs are folded into one more after it.
 */
public final class Reloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Reloader.class);

  /** Where tables are made and served: the server's. */
  public interface Tables {
    /** A complete routing table for {@code config}: the start-up path. */
    RoutingTable build(AppConfig config) throws ConfigException;

    /** New requests get {@code table} from now on; those in flight keep theirs. */
    void serve(RoutingTable table);
  }

  /**
   * What a reload did.
   *
   * @param ok whether the new configuration serves
   * @param generation the configuration serving now: 1 at start-up, one more per successful reload
   * @param error why it failed (the configuration error, naming file, route and key), or null
   */
  public record Outcome(boolean ok, int generation, String error) {}

  /**
   * Flags read once, at start-up: their values in the running server cannot change. A reload whose
   * configuration differs there warns, naming them, and serves the rest.
   */
  private static final List<Fixed> FIXED =
      List.of(
          new Fixed("-l/--listen (or PORT)", c -> c.listenHost() + ":" + c.listenPort()),
          new Fixed("--tls-cert/--tls-key (their files)", AppConfig::tls),
          new Fixed("--read-timeout", c -> c.connections().readTimeout()),
          new Fixed("--idle-timeout", c -> c.connections().idleTimeout()),
          new Fixed("--max-concurrency", c -> c.connections().maxConcurrency()),
          new Fixed("--queue", c -> c.connections().queue()),
          new Fixed("--drain-timeout", c -> c.connections().drainTimeout()),
          new Fixed("--max-buffered", c -> c.connections().maxBufferedBytes()),
          new Fixed("--metrics/--access-log/--log-format", AppConfig::observability),
          new Fixed("--log-dir", AppConfig::logDir),
          new Fixed("--module-cache", AppConfig::moduleCache));

  private record Fixed(String flags, Function<AppConfig, Object> value) {}

  private final ConfigSource source;
  private final Tables tables;
  private final ServerEvents events;
  private final ExecutorService background;
  private final AtomicBoolean queued = new AtomicBoolean();

  private volatile AppConfig serving;
  private volatile boolean closed;
  private int generation = 1;

  /** {@code serving}: the configuration the server started with (its table serves). */
  public Reloader(ConfigSource source, AppConfig serving, Tables tables, ServerEvents events) {
    this.source = source;
    this.serving = serving;
    this.tables = tables;
    this.events = events;
    this.background =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread thread = new Thread(task, "jwagi-reload");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The configuration serving now. */
  public AppConfig config() {
    return serving;
  }

  /**
   * Reloads on a background thread (for SIGHUP): returns at once. If a reload is already waiting to
   * start, this one is folded into it.
   */
  public void reloadInBackground(String cause) {
    if (closed || !queued.compareAndSet(false, true)) {
      return;
    }
    try {
      background.execute(
          () -> {
            queued.set(false);
            reload(cause);
          });
    } catch (RejectedExecutionException e) {
      queued.set(false); // closed meanwhile
    }
  }

  /** Reloads now, on this thread, after any reload in progress; {@code cause} is for the log. */
  public synchronized Outcome reload(String cause) {
    if (closed) {
      return new Outcome(false, generation, "the server is stopping");
    }
    log.info("reloading the configuration ({})", cause);
    long started = System.nanoTime();
    AppConfig next;
    RoutingTable table;
    try {
      next = source.load();
      table = tables.build(next);
    } catch (ConfigException e) {
      return failed(e.getMessage(), null);
    } catch (RuntimeException e) { // a bug of ours: still no reason to stop serving
      return failed("server error: " + e, e);
    }
    if (closed) {
      return new Outcome(false, generation, "the server is stopping");
    }
    warnFixed(serving, next);
    tables.serve(table);
    serving = next;
    generation++;
    Set<String> routes = table.patterns();
    events.configServed(true, routes);
    log.info(
        "configuration {} serving ({} routes, built in {} ms); requests in flight finish on the"
            + " previous one",
        generation,
        routes.size(),
        (System.nanoTime() - started) / 1_000_000);
    return new Outcome(true, generation, null);
  }

  private Outcome failed(String error, Throwable bug) {
    if (bug == null) {
      log.error("reload failed, the previous configuration goes on serving: {}", error);
    } else {
      log.error("reload failed, the previous configuration goes on serving: {}", error, bug);
    }
    events.configReloadFailed();
    return new Outcome(false, generation, error);
  }

  private static void warnFixed(AppConfig running, AppConfig next) {
    List<String> differ = new ArrayList<>();
    for (Fixed fixed : FIXED) {
      if (!Objects.equals(fixed.value().apply(running), fixed.value().apply(next))) {
        differ.add(fixed.flags());
      }
    }
    if (!differ.isEmpty()) {
      log.warn(
          "reload: {} differ from the running server's and take effect only at a restart; the"
              + " rest of the configuration is reloaded",
          String.join(", ", differ));
    }
  }

  /** No reload starts after this; one in progress is not served. */
  @Override
  public void close() {
    closed = true;
    background.shutdown();
  }
}
