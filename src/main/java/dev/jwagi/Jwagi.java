package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.Observability.LogFormat;
import dev.jwagi.http.HttpServer;
import dev.jwagi.memory.StartupHeap;
import dev.jwagi.observe.AccessLog;
import dev.jwagi.observe.CompositeEvents;
import dev.jwagi.observe.Metrics;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.reload.ConfigSource;
import dev.jwagi.reload.ConfigWatcher;
import dev.jwagi.reload.Reloader;
import dev.jwagi.reload.WatchedFiles;
import dev.jwagi.routing.Handler;
import dev.jwagi.routing.MetricsHandler;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import dev.jwagi.routing.ServerResources;
import dev.jwagi.routing.ServingTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running jwagi: start-up does all the work that can be done once (load config, compile every
 * module, run {@code _routes}, build the routing table) and fails before listening; then it serves.
 * Started with a {@link ConfigSource}, it can reload: the same path builds a new table, swapped in
 * whole.
 */
public final class Jwagi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Jwagi.class);

  private final HttpServer server;
  private final ServingTable serving;
  private final ServerResources resources;
  private final Metrics metrics;

  /** Null when not started with a ConfigSource. */
  private final Reloader reloader;

  private ConfigWatcher watcher;

  private Jwagi(
      HttpServer server,
      ServingTable serving,
      ServerResources resources,
      Metrics metrics,
      Reloader reloader) {
    this.server = server;
    this.serving = serving;
    this.resources = resources;
    this.metrics = metrics;
    this.reloader = reloader;
  }

  /**
   * Netty's buffer allocators emit JFR events, and the first allocation (in the first request) then
   * initialises JFR's event machinery: ~60 ms of the first request's event loop on JDK 17
   * (bench/profile-startup.sh MODE=cds). jwagi has its own metrics; -Dio.netty.jfr.enabled=true
   * turns the events back on. Netty reads the property once, when PlatformDependent is first
   * initialised: call this before anything touches Netty.
   */
  static void turnOffNettyJfrEvents() {
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
  }

  /** Starts serving {@code config}; it cannot be reloaded. */
  public static Jwagi start(AppConfig config) throws ConfigException, InterruptedException {
    return start(config, null);
  }

  /**
   * Starts serving {@code config}; {@link #reloader} reloads from {@code reloads} (null: no
   * reloads), which loads the configuration as {@code config} was loaded.
   */
  public static Jwagi start(AppConfig config, ConfigSource reloads)
      throws ConfigException, InterruptedException {
    turnOffNettyJfrEvents();
    // The listeners of what the server does: metrics (and their /metrics route), access log.
    Metrics metrics = config.observability().metrics() ? new Metrics() : null;
    List<ServerEvents> listeners = new ArrayList<>();
    Map<String, Handler> builtIns = new HashMap<>();
    if (metrics != null) {
      listeners.add(metrics);
      builtIns.put(MetricsHandler.ROUTE, new MetricsHandler(metrics::scrape, Metrics.CONTENT_TYPE));
    }
    if (config.observability().accessLog()) {
      listeners.add(new AccessLog(config.observability().logFormat() == LogFormat.JSON));
    }
    ServerEvents events = CompositeEvents.of(listeners);
    ServerResources resources = ServerResources.of(config.connections());
    // The listener is set up beside the module loading (~20 ms of first-time class work on the
    // main thread otherwise), and bound once the routes are ready.
    CompletableFuture<HttpServer> opening = new CompletableFuture<>();
    Thread setUp =
        new Thread(
            () -> {
              try {
                opening.complete(
                    HttpServer.open(
                        config.listenHost(),
                        config.listenPort(),
                        config.connections(),
                        config.tls(),
                        events,
                        resources.budget(),
                        resources.readiness()));
              } catch (Throwable e) {
                opening.completeExceptionally(e);
              }
            },
            "jwagi-listener-setup");
    setUp.setDaemon(true);
    setUp.start();
    TableFactory tables;
    RoutingTable routes;
    try {
      tables = new TableFactory(config, resources, builtIns, events);
      routes = tables.build(config);
    } catch (ConfigException | RuntimeException e) {
      opening.thenAccept(HttpServer::close);
      resources.close();
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    StartupHeap.trim();
    ServingTable serving = new ServingTable(routes);
    HttpServer server;
    try {
      server = opened(opening);
      server.listen(serving);
    } catch (Exception e) {
      resources.close();
      if (metrics != null) {
        metrics.close();
      }
      if (e instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new ConfigException(
          "cannot listen on " + config.listenHost() + ":" + config.listenPort() + ": " + e, e);
    }
    resources.routeStates().retainOnly(routes);
    events.configServed(false, routes.patterns());
    for (Route route : routes.routes()) {
      log.info("route {} → {}", route.pattern(), route.handler());
    }
    log.info("guest stderr goes to {}", config.logDir());
    log.info(
        "Ready: serving on {}://{}:{}",
        config.tls() == null ? "http" : "https",
        config.listenHost().contains(":") ? "[" + config.listenHost() + "]" : config.listenHost(),
        server.port());
    Reloader reloader =
        reloads == null
            ? null
            : new Reloader(reloads, config, reloadTables(tables, serving, resources), events);
    return new Jwagi(server, serving, resources, metrics, reloader);
  }

  /** Where a reload builds (the start-up path) and serves its table. */
  private static Reloader.Tables reloadTables(
      TableFactory tables, ServingTable serving, ServerResources resources) {
    return new Reloader.Tables() {
      @Override
      public RoutingTable build(AppConfig next) throws ConfigException {
        try {
          return tables.build(next);
        } catch (ConfigException | RuntimeException e) {
          // What the failed build made for its routes goes, or failures would add up.
          resources.routeStates().retainOnly(serving.current());
          throw e;
        }
      }

      @Override
      public void serve(RoutingTable table) {
        serving.replace(table);
        resources.routeStates().retainOnly(table);
      }
    };
  }

  private static HttpServer opened(CompletableFuture<HttpServer> opening) {
    try {
      return opening.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error cause) {
        throw cause;
      }
      throw e;
    }
  }

  /**
   * All start-up work but listening, with resources of its own: compiles every module (into the
   * module cache, if any), runs {@code _routes} and builds the routing table. Closing {@code
   * resources} stops what the table's guests use.
   */
  public static RoutingTable prepare(AppConfig config, ServerResources resources)
      throws ConfigException {
    return new TableFactory(config, resources, Map.of(), ServerEvents.NONE).build(config);
  }

  public int port() {
    return server.port();
  }

  /** The table new requests get now. */
  public RoutingTable routes() {
    return serving.current();
  }

  /** What reloads the configuration (SIGHUP, --watch); null if started without a ConfigSource. */
  public Reloader reloader() {
    return reloader;
  }

  /**
   * {@code --watch}: reloads when a file of the configuration ({@link WatchedFiles}) or one of
   * {@code extraFiles} changes.
   */
  public synchronized void watch(Set<Path> extraFiles) throws IOException {
    if (reloader == null) {
      throw new IllegalStateException("started without a ConfigSource: nothing to reload from");
    }
    if (watcher == null) {
      watcher =
          ConfigWatcher.start(
              reloader,
              config -> {
                Set<Path> files = new LinkedHashSet<>(WatchedFiles.of(config));
                files.addAll(extraFiles);
                return files;
              });
    }
  }

  /**
   * Drains (see {@link HttpServer#drain}): stops reloading and listening, lets requests in flight
   * finish within the drain timeout, then stops. Returns whether everything finished in time.
   */
  public boolean drain() {
    synchronized (this) {
      if (watcher != null) {
        watcher.close();
      }
    }
    if (reloader != null) {
      reloader.close();
    }
    boolean clean = server.drain();
    resources.close();
    if (metrics != null) {
      metrics.close();
    }
    return clean;
  }

  /** Drains. */
  @Override
  public void close() {
    drain();
  }
}
