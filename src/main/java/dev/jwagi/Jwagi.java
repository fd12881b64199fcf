package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.config.Observability.LogFormat;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
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

  public static Jwagi start(AppConfig config) throws ConfigException, InterruptedException {
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
                        events));
              } catch (Throwable e) {
                opening.completeExceptionally(e);
              }
            },
            "jwagi-listener-setup");
    setUp.setDaemon(true);
    setUp.start();
    RoutingTable routes;
    try {
      routes = prepare(config, builtIns, events);
    } catch (ConfigException | RuntimeException e) {
      opening.thenAccept(HttpServer::close);
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    HttpServer server;
    try {
      server = opened(opening);
      server.listen(routes);
    } catch (Exception e) {
      routes.close();
      if (metrics != null) {
        metrics.close();
      }
      if (e instanceof InterruptedException interrupted) {
        throw interrupted;
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
    Map<ModuleSource, ModuleConfig> firstUse = new LinkedHashMap<>();
    for (ModuleConfig module : config.modules()) {
      firstUse.putIfAbsent(module.source(), module);
    }
    return RoutingTableBuilder.build(
        config, compileAll(firstUse.values(), fetcher, loader, cache, events), builtIns, events);
  }

  /**
   * Fetches and compiles (or loads from the cache) each module once. Fetching stays sequential, in
   * file order, on this thread (as before: the fetcher is not thread-safe, and registries see the
   * same requests in the same order); compiling, the CPU-bound part, runs in parallel with more
   * than one core. A failure is reported for the first failing module in file order, as a
   * sequential start would.
   */
  private static Map<ModuleSource, CompiledModule> compileAll(
      Collection<ModuleConfig> modules,
      ModuleFetcher fetcher,
      ModuleLoader loader,
      DiskCache cache,
      ServerEvents events)
      throws ConfigException {
    Map<ModuleSource, CompiledModule> compiled = new HashMap<>();
    int threads = Math.min(modules.size(), Runtime.getRuntime().availableProcessors());
    if (threads <= 1) {
      for (ModuleConfig module : modules) {
        long started = System.nanoTime();
        Path file = fetch(module, fetcher);
        compiled.put(module.source(), compile(module, file, loader, cache, started, events));
      }
      return compiled;
    }
    AtomicInteger count = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            task -> {
              Thread thread = new Thread(task, "jwagi-prepare-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    try {
      // Keyed by source: a ModuleConfig's record hashCode costs ~10 ms to link at start-up.
      Map<ModuleSource, Future<CompiledModule>> pending = new LinkedHashMap<>();
      ConfigException fetchFailure = null;
      for (ModuleConfig module : modules) {
        long started = System.nanoTime();
        Path file;
        try {
          file = fetch(module, fetcher);
        } catch (ConfigException e) {
          fetchFailure = e; // reported after the failures of modules before it, if any
          break;
        }
        pending.put(
            module.source(),
            pool.submit(() -> compile(module, file, loader, cache, started, events)));
      }
      for (var entry : pending.entrySet()) {
        compiled.put(entry.getKey(), await(entry.getValue()));
      }
      if (fetchFailure != null) {
        throw fetchFailure;
      }
      return compiled;
    } finally {
      pool.shutdownNow();
    }
  }

  private static CompiledModule await(Future<CompiledModule> future) throws ConfigException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("interrupted while loading modules", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ConfigException configError) {
        throw configError;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    }
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

  private static Path fetch(ModuleConfig module, ModuleFetcher fetcher) throws ConfigException {
    try {
      return fetcher.fetch(module.source(), module.where());
    } catch (FetchException e) {
      throw new ConfigException(
          module.where() + ": key `module`: " + module.source() + ": " + e.getMessage(), e);
    }
  }

  /** {@code started}: when this module's fetch began (its load time counts from there). */
  private static CompiledModule compile(
      ModuleConfig module,
      Path file,
      ModuleLoader loader,
      DiskCache cache,
      long started,
      ServerEvents events)
      throws ConfigException {
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

  /**
   * Drains (see {@link HttpServer#drain}): stops listening, lets requests in flight finish within
   * the drain timeout, then stops. Returns whether everything finished in time.
   */
  public boolean drain() {
    boolean clean = server.drain();
    routes.close();
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
