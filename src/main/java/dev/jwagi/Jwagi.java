package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.DiskCache;
import dev.jwagi.engine.ModuleLoadException;
import dev.jwagi.engine.ModuleLoader;
import dev.jwagi.http.HttpServer;
import dev.jwagi.observe.AccessLog;
import dev.jwagi.observe.CompositeEvents;
import dev.jwagi.observe.Metrics;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Handler;
import dev.jwagi.routing.MetricsHandler;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import dev.jwagi.routing.RoutingTableBuilder;
import dev.jwagi.source.FetchException;
import dev.jwagi.source.ModuleFetcher;
import dev.jwagi.source.ModuleSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running jwagi: start-up does all the work that can be done once (load config, compile every
 * module, run {@code _routes}, build the routing table) and fails before listening; then it serves.
 */
public final class Jwagi implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Jwagi.class);

  private final HttpServer server;
  private final RoutingTable routes;
  private final Metrics metrics;

  private Jwagi(HttpServer server, RoutingTable routes, Metrics metrics) {
    this.server = server;
    this.routes = routes;
    this.metrics = metrics;
  }

  public static Jwagi start(AppConfig config) throws ConfigException, InterruptedException {
    // The listeners of what the server does: metrics (and their /metrics route), access log.
    Metrics metrics = config.observability().metrics() ? new Metrics() : null;
    List<ServerEvents> listeners = new ArrayList<>();
    Map<String, Handler> builtIns = new HashMap<>();
    if (metrics != null) {
      listeners.add(metrics);
      builtIns.put(MetricsHandler.ROUTE, new MetricsHandler(metrics::scrape, Metrics.CONTENT_TYPE));
    }
    if (config.observability().accessLog()) {
      listeners.add(new AccessLog());
    }
    ServerEvents events = CompositeEvents.of(listeners);
    RoutingTable routes;
    try {
      routes = prepare(config, builtIns, events);
    } catch (ConfigException | RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    HttpServer server;
    try {
      server =
          HttpServer.start(
              routes,
              config.listenHost(),
              config.listenPort(),
              config.connections(),
              config.tls(),
              events);
    } catch (RuntimeException e) {
      routes.close();
      if (metrics != null) {
        metrics.close();
      }
      throw new ConfigException(
          "cannot listen on " + config.listenHost() + ":" + config.listenPort() + ": " + e, e);
    }
    for (Route route : routes.routes()) {
      log.info("route {} → {}", route.pattern(), route.handler());
    }
    log.info("guest stderr goes to {}", config.logDir());
    log.info(
        "Ready: serving on {}://{}:{}",
        config.tls() == null ? "http" : "https",
        config.listenHost().contains(":") ? "[" + config.listenHost() + "]" : config.listenHost(),
        server.port());
    return new Jwagi(server, routes, metrics);
  }

  /**
   * All start-up work but listening: compiles every module (into the module cache, if any), runs
   * {@code _routes} and builds the routing table. The caller closes the table.
   */
  public static RoutingTable prepare(AppConfig config) throws ConfigException {
    return prepare(config, Map.of(), ServerEvents.NONE);
  }

  /**
   * {@link #prepare(AppConfig)} with built-in routes besides /healthz (route → handler), reporting
   * module loads and, later, guest runs to {@code events}.
   */
  static RoutingTable prepare(AppConfig config, Map<String, Handler> builtIns, ServerEvents events)
      throws ConfigException {
    DiskCache cache = config.moduleCache() == null ? null : new DiskCache(config.moduleCache());
    ModuleLoader loader = new ModuleLoader(cache);
    ModuleFetcher fetcher = new ModuleFetcher(downloadDir(config), config.registryCredentials());
    Map<ModuleSource, CompiledModule> compiled = new HashMap<>();
    for (ModuleConfig module : config.modules()) {
      if (!compiled.containsKey(module.source())) {
        compiled.put(module.source(), compile(module, fetcher, loader, cache, events));
      }
    }
    return RoutingTableBuilder.build(config, compiled, builtIns, events);
  }

  /** Downloaded modules live in the module cache (so restarts need no network), else a temp dir. */
  private static Path downloadDir(AppConfig config) throws ConfigException {
    if (config.moduleCache() != null) {
      return config.moduleCache().resolve("sources");
    }
    try {
      return Files.createTempDirectory("jwagi-sources-");
    } catch (IOException e) {
      throw new ConfigException("cannot create a folder for downloaded modules: " + e, e);
    }
  }

  private static CompiledModule compile(
      ModuleConfig module,
      ModuleFetcher fetcher,
      ModuleLoader loader,
      DiskCache cache,
      ServerEvents events)
      throws ConfigException {
    long started = System.nanoTime();
    Path file;
    try {
      file = fetcher.fetch(module.source(), module.where());
    } catch (FetchException e) {
      throw new ConfigException(
          module.where() + ": key `module`: " + module.source() + ": " + e.getMessage(), e);
    }
    try {
      CompiledModule code = CompiledModule.compile(loader.load(file), cache);
      long nanos = System.nanoTime() - started;
      events.moduleLoaded(module.source().toString(), code.cacheHit(), nanos);
      log.info(
          "module {}: {} in {} ms",
          module.source(),
          code.cacheHit() ? "loaded from cache" : "compiled",
          nanos / 1_000_000);
      return code;
    } catch (IOException e) {
      throw new ConfigException(
          module.where() + ": key `module`: cannot read " + module.source() + ": " + e, e);
    } catch (ModuleLoadException e) {
      throw new ConfigException(
          module.where() + ": key `module`: " + module.source() + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.port();
  }

  public RoutingTable routes() {
    return routes;
  }

  /** Stops listening and lets requests in flight finish. */
  @Override
  public void close() {
    server.close();
    routes.close();
    if (metrics != null) {
      metrics.close();
    }
  }
}
