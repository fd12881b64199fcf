package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.DiskCache;
import dev.jwagi.engine.ModuleLoadException;
import dev.jwagi.engine.ModuleLoader;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Handler;
import dev.jwagi.routing.RoutingTable;
import dev.jwagi.routing.RoutingTableBuilder;
import dev.jwagi.routing.ServerResources;
import dev.jwagi.source.Digest;
import dev.jwagi.source.FetchException;
import dev.jwagi.source.ModuleFetcher;
import dev.jwagi.source.ModuleSource;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one path from a configuration to a complete routing table, at start-up and at every reload:
 * fetch each module, compile it (or load it from the module cache), link it, run {@code _routes},
 * build the table. Fails with a {@link ConfigException} naming file, route and key, and then
 * nothing of the attempt serves.
 *
 * <p>Made once per server: its module cache, loader and fetcher are the server's. A module whose
 * bytes a live table already uses (same SHA-256) is taken as it is, not compiled again; modules no
 * table uses any more are left to the garbage collector (held weakly here). Not thread-safe: one
 * build at a time (start-up, then the reloader's).
 */
final class TableFactory {
  private static final Logger log = LoggerFactory.getLogger(TableFactory.class);

  private final DiskCache cache;
  private final ModuleLoader loader;
  private final ModuleFetcher fetcher;
  private final Map<String, Handler> builtIns;
  private final ServerEvents events;
  private final ServerResources resources;

  /** Compiled modules by the SHA-256 of their bytes, while some table still uses them. */
  private final Map<Digest, WeakReference<CompiledModule>> compiled = new ConcurrentHashMap<>();

  /**
   * The module cache, registry credentials and download folder come from {@code config} (flags that
   * a reload does not change). builtIns: route → handler of built-in routes besides /healthz and
   * /readyz (e.g. /metrics). events: where module loads and, later, guest runs are reported.
   */
  TableFactory(
      AppConfig config,
      ServerResources resources,
      Map<String, Handler> builtIns,
      ServerEvents events)
      throws ConfigException {
    this.cache = config.moduleCache() == null ? null : new DiskCache(config.moduleCache());
    this.loader = new ModuleLoader(cache);
    this.fetcher = new ModuleFetcher(downloadDir(config), config.registryCredentials());
    this.builtIns = Map.copyOf(builtIns);
    this.events = events;
    this.resources = resources;
  }

  /** A complete routing table for {@code config}: the start-up path. */
  RoutingTable build(AppConfig config) throws ConfigException {
    compiled.values().removeIf(module -> module.get() == null);
    Map<ModuleSource, ModuleConfig> firstUse = new LinkedHashMap<>();
    for (ModuleConfig module : config.modules()) {
      firstUse.putIfAbsent(module.source(), module);
    }
    return RoutingTableBuilder.build(
        config, compileAll(firstUse.values()), builtIns, events, resources);
  }

  /**
   * Fetches and compiles (or loads from the cache) each module once. Fetching stays sequential, in
   * file order, on this thread (as before: the fetcher is not thread-safe, and registries see the
   * same requests in the same order); compiling, the CPU-bound part, runs in parallel with more
   * than one core. A failure is reported for the first failing module in file order, as a
   * sequential start would.
   */
  private Map<ModuleSource, CompiledModule> compileAll(Collection<ModuleConfig> modules)
      throws ConfigException {
    Map<ModuleSource, CompiledModule> result = new HashMap<>();
    int threads = Math.min(modules.size(), Runtime.getRuntime().availableProcessors());
    if (threads <= 1) {
      for (ModuleConfig module : modules) {
        long started = System.nanoTime();
        Path file = fetch(module);
        result.put(module.source(), compile(module, file, started));
      }
      return result;
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
          file = fetch(module);
        } catch (ConfigException e) {
          fetchFailure = e; // reported after the failures of modules before it, if any
          break;
        }
        pending.put(module.source(), pool.submit(() -> compile(module, file, started)));
      }
      for (var entry : pending.entrySet()) {
        result.put(entry.getKey(), await(entry.getValue()));
      }
      if (fetchFailure != null) {
        throw fetchFailure;
      }
      return result;
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

  private Path fetch(ModuleConfig module) throws ConfigException {
    try {
      return fetcher.fetch(module.source(), module.where());
    } catch (FetchException e) {
      throw new ConfigException(
          module.where() + ": key `module`: " + module.source() + ": " + e.getMessage(), e);
    }
  }

  /** {@code started}: when this module's fetch began (its load time counts from there). */
  private CompiledModule compile(ModuleConfig module, Path file, long started)
      throws ConfigException {
    try {
      byte[] wasm = loader.load(file);
      Digest digest = Digest.of(wasm);
      WeakReference<CompiledModule> live = compiled.get(digest);
      CompiledModule code = live == null ? null : live.get();
      if (code != null) {
        log.info("module {}: unchanged, reused", module.source());
        return code;
      }
      code = CompiledModule.compile(wasm, cache, module.where() + " (" + module.source() + ")");
      compiled.put(digest, new WeakReference<>(code));
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
}
