package dev.jwagi.routing;

import dev.jwagi.cgi.CgiEnvironment;
import dev.jwagi.cgi.MatchedRoute;
import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.config.RoutePattern;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.Deadlines;
import dev.jwagi.engine.Guest;
import dev.jwagi.engine.GuestFailure;
import dev.jwagi.engine.GuestResult;
import dev.jwagi.engine.ModuleLoadException;
import dev.jwagi.engine.OutboundHttp;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.source.ModuleSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds a routing table, at start-up and at each reload: one route per [[module]], plus the routes
 * a module lists from its {@code _routes} export (run once, here), placed just before their parent
 * route.
 */
public final class RoutingTableBuilder {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(RoutingTableBuilder.class);

  static final String ROUTES_EXPORT = "_routes";

  private RoutingTableBuilder() {}

  /**
   * compiled: every module file of the config, compiled. builtIns: route → handler of built-in
   * routes besides /healthz and /readyz (e.g. /metrics). events: where the module handlers report
   * guest runs. resources: the server's, which the table's handlers use and do not own.
   */
  public static RoutingTable build(
      AppConfig config,
      Map<ModuleSource, CompiledModule> compiled,
      Map<String, Handler> builtIns,
      ServerEvents events,
      ServerResources resources)
      throws ConfigException {
    try {
      Files.createDirectories(config.logDir());
    } catch (IOException e) {
      throw new ConfigException("--log-dir " + config.logDir() + ": cannot create: " + e, e);
    }
    var environment =
        new CgiEnvironment(config.globalEnv(), config.defaultHost(), config.trustedProxies());
    var budget = resources.budget();
    List<Route> routes = new ArrayList<>();
    for (ModuleConfig module : config.modules()) {
      CompiledModule code =
          initialized(
              compiled.get(module.source()),
              module,
              resources.deadlines(),
              resources
                  .routeStates()
                  .stderrLog(
                      config.logDir(), module.route(), config.connections().maxStderrLogBytes()));
      Guest guest;
      try {
        guest =
            code.prepare(
                module.volumes(),
                module.readOnlyVolumes(),
                module.limits().maxMemoryBytes(),
                module.limits().maxOutputBytes(),
                new OutboundHttp.Policy(
                    module.allowedHosts(),
                    module.httpMaxConcurrency() == null ? 0 : module.httpMaxConcurrency(),
                    module.limits().timeout()),
                budget);
      } catch (ModuleLoadException e) {
        throw new ConfigException(
            module.where() + ": module " + module.source() + ": " + e.getMessage(), e);
      }
      String label = module.route().text();
      guest.maxTableElements(module.limits().maxTableElements());
      guest.onGrowRefused(
          () -> {
            log.warn(
                "route {}: memory.grow refused: the memory budget (--max-buffered {} MiB) is full",
                label,
                budget.limit() >> 20);
            events.growRefused(label);
          });
      requireExport(code, module, module.entrypoint(), "key `entrypoint`");
      // Spin's WAGI executor never runs _routes; a spin.toml's modules get only their route.
      if (module.spin() == null && code.exportsFunction(ROUTES_EXPORT)) {
        for (DynamicRoute line : dynamicRoutes(module, guest)) {
          requireExport(code, module, line.entrypoint(), "its _routes " + line.where());
          RoutePattern route = module.route().join(line.subpath());
          routes.add(
              new Route(
                  route,
                  handler(
                      config,
                      module,
                      route,
                      line.entrypoint(),
                      code,
                      guest,
                      environment,
                      resources,
                      events),
                  routes.size()));
        }
      }
      routes.add(
          new Route(
              module.route(),
              handler(
                  config,
                  module,
                  module.route(),
                  module.entrypoint(),
                  code,
                  guest,
                  environment,
                  resources,
                  events),
              routes.size()));
    }
    return new RoutingTable(routes, builtIns, resources.readiness());
  }

  /**
   * The module as the route serves it: pre-initialised by the route's {@code init} export, or by
   * Wizer's {@code wizer.initialize} if the module exports that (unless {@code init = false}); else
   * as compiled. The init runs here, once per module, export and volumes (routes that share all
   * three share the snapshot), within the route's timeout, with the route's volumes read-only, its
   * stdout and stderr appended to the route's stderr log.
   */
  private static CompiledModule initialized(
      CompiledModule code, ModuleConfig module, Deadlines deadlines, StderrLog stderr)
      throws ConfigException {
    if (module.noInit()) {
      return code;
    }
    String export;
    try {
      export = module.init() != null ? module.init() : code.wizerInitExport();
    } catch (ModuleLoadException e) {
      throw new ConfigException(
          module.where() + ": module " + module.source() + ": " + e.getMessage(), e);
    }
    if (export == null) {
      return code;
    }
    if (module.init() != null) {
      requireExport(code, module, export, "key `init`");
    }
    String where =
        module.where()
            + ": "
            + (module.init() != null ? "key `init`" : "Wizer's init export")
            + ": module "
            + module.source()
            + ": \""
            + export
            + "\"";
    long started = System.nanoTime();
    try (OutputStream output = stderr.open()) {
      try (var deadline = deadlines.start(module.limits().timeout())) {
        try {
          CompiledModule initialized =
              code.initialized(
                  export,
                  module.volumes(),
                  module.limits().maxMemoryBytes(),
                  module.limits().maxOutputBytes(),
                  output,
                  output);
          log.info(
              "route {}: runs module {} from its snapshot after {} ({} in {} ms)",
              module.route().text(),
              module.source(),
              export,
              initialized.snapshotCached() ? "loaded from the module cache" : "ready",
              (System.nanoTime() - started) / 1_000_000);
          return initialized;
        } catch (GuestFailure e) {
          String why =
              deadline.fired()
                  ? "still running after the route's timeout of "
                      + module.limits().timeout().toMillis()
                      + " ms: stopped"
                  : e.getMessage();
          throw new ConfigException(
              where + " failed: " + why + " (stderr: " + stderr.file() + ")", e);
        }
      }
    } catch (ModuleLoadException e) {
      throw new ConfigException(
          where + ": " + e.getMessage() + " (stderr: " + stderr.file() + ")", e);
    } catch (IOException e) {
      throw new ConfigException(where + ": " + e, e);
    }
  }

  private static ModuleHandler handler(
      AppConfig config,
      ModuleConfig module,
      RoutePattern route,
      String entrypoint,
      CompiledModule code,
      Guest guest,
      CgiEnvironment environment,
      ServerResources resources,
      ServerEvents events) {
    return new ModuleHandler(
        module.source() + " (entrypoint " + entrypoint + ")",
        new MatchedRoute(route, module.argvTemplate(), module.environment(), module.spin()),
        entrypoint,
        code,
        guest,
        environment,
        resources
            .routeStates()
            .stderrLog(config.logDir(), route, config.connections().maxStderrLogBytes()),
        resources.deadlines(),
        module.limits(),
        module.maxConcurrency(),
        resources.routeStates().running(route),
        events);
  }

  private static void requireExport(
      CompiledModule code, ModuleConfig module, String name, String source) throws ConfigException {
    if (!code.exportsFunction(name)) {
      throw new ConfigException(
          module.where()
              + ": "
              + source
              + ": module "
              + module.source()
              + " exports no function \""
              + name
              + "\"");
    }
  }

  /** One line of {@code _routes} output: "subpath entrypoint". */
  private record DynamicRoute(RoutePattern subpath, String entrypoint, String where) {}

  /**
   * Runs the module's _routes export; each output line is "subpath entrypoint", the subpath checked
   * like a [[module]] route.
   */
  private static List<DynamicRoute> dynamicRoutes(ModuleConfig module, Guest guest)
      throws ConfigException {
    String where = module.where() + ": module " + module.source() + ": _routes";
    GuestResult result;
    var stdout = new ByteArrayOutputStream();
    try {
      result =
          guest.run(
              ROUTES_EXPORT,
              List.of(module.route().text()),
              Map.of(),
              InputStream.nullInputStream(),
              stdout);
    } catch (GuestFailure e) {
      throw new ConfigException(where + " failed: " + e.getMessage(), e);
    }
    if (result.exitCode() != 0) {
      throw new ConfigException(where + " exited with code " + result.exitCode());
    }
    List<DynamicRoute> lines = new ArrayList<>();
    String[] output = stdout.toString(StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < output.length; i++) {
      String line = output[i].trim();
      if (line.isEmpty()) {
        continue;
      }
      String lineWhere = "line " + (i + 1) + " \"" + line + "\"";
      String[] fields = line.split("\\s+");
      if (fields.length != 2) {
        throw new ConfigException(where + ": " + lineWhere + " is not \"/subpath entrypoint\"");
      }
      try {
        lines.add(new DynamicRoute(RoutePattern.parse(fields[0]), fields[1], lineWhere));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + ": " + lineWhere + ": route " + e.getMessage(), e);
      }
    }
    if (lines.isEmpty()) {
      throw new ConfigException(where + " printed no routes");
    }
    return lines;
  }
}
