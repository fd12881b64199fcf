package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.DiskCache;
import dev.jwagi.engine.ModuleLoadException;
import dev.jwagi.engine.ModuleLoader;
import dev.jwagi.http.HttpServer;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import dev.jwagi.routing.RoutingTableBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
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

  private Jwagi(HttpServer server, RoutingTable routes) {
    this.server = server;
    this.routes = routes;
  }

  public static Jwagi start(AppConfig config) throws ConfigException, InterruptedException {
    RoutingTable routes = prepare(config);
    HttpServer server;
    try {
      server =
          HttpServer.start(routes, config.listenHost(), config.listenPort(), config.connections());
    } catch (RuntimeException e) {
      routes.close();
      throw new ConfigException(
          "cannot listen on " + config.listenHost() + ":" + config.listenPort() + ": " + e, e);
    }
    for (Route route : routes.routes()) {
      log.info("route {} → {}", route.pattern(), route.handler());
    }
    log.info("guest stderr goes to {}", config.logDir());
    log.info(
        "Ready: serving on http://{}:{}",
        config.listenHost().contains(":") ? "[" + config.listenHost() + "]" : config.listenHost(),
        server.port());
    return new Jwagi(server, routes);
  }

  /**
   * All start-up work but listening: compiles every module (into the module cache, if any), runs
   * {@code _routes} and builds the routing table. The caller closes the table.
   */
  public static RoutingTable prepare(AppConfig config) throws ConfigException {
    DiskCache cache = config.moduleCache() == null ? null : new DiskCache(config.moduleCache());
    ModuleLoader loader = new ModuleLoader(cache);
    Map<Path, CompiledModule> compiled = new HashMap<>();
    for (ModuleConfig module : config.modules()) {
      if (!compiled.containsKey(module.modulePath())) {
        compiled.put(module.modulePath(), compile(module, loader, cache));
      }
    }
    return RoutingTableBuilder.build(config, compiled);
  }

  private static CompiledModule compile(ModuleConfig module, ModuleLoader loader, DiskCache cache)
      throws ConfigException {
    long started = System.nanoTime();
    try {
      CompiledModule code = CompiledModule.compile(loader.load(module.modulePath()), cache);
      log.info(
          "module {}: {} in {} ms",
          module.modulePath(),
          code.cacheHit() ? "loaded from cache" : "compiled",
          (System.nanoTime() - started) / 1_000_000);
      return code;
    } catch (IOException e) {
      throw new ConfigException(
          module.where() + ": key `module`: cannot read " + module.modulePath() + ": " + e, e);
    } catch (ModuleLoadException e) {
      throw new ConfigException(
          module.where() + ": key `module`: " + module.modulePath() + ": " + e.getMessage(), e);
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
  }
}
