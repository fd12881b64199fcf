package dev.jwagi.routing;

import dev.jwagi.cgi.CgiEnvironment;
import dev.jwagi.cgi.MatchedRoute;
import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.Guest;
import dev.jwagi.engine.GuestFailure;
import dev.jwagi.engine.GuestResult;
import dev.jwagi.engine.ModuleLoadException;
import dev.jwagi.observe.ServerEvents;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the routing table at start-up: one route per [[module]], plus the routes a module lists
 * from its {@code _routes} export (run once, here), placed just before their parent route.
 */
public final class RoutingTableBuilder {
  static final String ROUTES_EXPORT = "_routes";

  private RoutingTableBuilder() {}

  /**
   * compiled: every module file of the config, compiled. builtIns: route → handler of built-in
   * routes besides /healthz (e.g. /metrics). events: where the module handlers report guest runs.
   */
  public static RoutingTable build(
      AppConfig config,
      Map<Path, CompiledModule> compiled,
      Map<String, Handler> builtIns,
      ServerEvents events)
      throws ConfigException {
    try {
      Files.createDirectories(config.logDir());
    } catch (IOException e) {
      throw new ConfigException("--log-dir " + config.logDir() + ": cannot create: " + e, e);
    }
    var environment = new CgiEnvironment(config.globalEnv(), config.defaultHost());
    var deadlines = new Deadlines();
    List<Route> routes = new ArrayList<>();
    for (ModuleConfig module : config.modules()) {
      CompiledModule code = compiled.get(module.modulePath());
      Guest guest;
      try {
        guest =
            code.prepare(
                module.volumes(),
                module.limits().maxMemoryBytes(),
                module.limits().maxOutputBytes());
      } catch (ModuleLoadException e) {
        throw new ConfigException(
            module.where() + ": module " + module.modulePath() + ": " + e.getMessage(), e);
      }
      requireExport(code, module, module.entrypoint(), "key `entrypoint`");
      if (code.exportsFunction(ROUTES_EXPORT)) {
        for (String[] line : dynamicRoutes(module, guest)) {
          requireExport(
              code, module, line[1], "its _routes line \"" + line[0] + " " + line[1] + "\"");
          String route = Route.baseOf(module.route()) + line[0];
          routes.add(
              new Route(
                  route,
                  handler(config, module, route, line[1], guest, environment, deadlines, events),
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
                  guest,
                  environment,
                  deadlines,
                  events),
              routes.size()));
    }
    return new RoutingTable(routes, builtIns, deadlines);
  }

  private static ModuleHandler handler(
      AppConfig config,
      ModuleConfig module,
      String route,
      String entrypoint,
      Guest guest,
      CgiEnvironment environment,
      Deadlines deadlines,
      ServerEvents events) {
    return new ModuleHandler(
        module.modulePath() + " (entrypoint " + entrypoint + ")",
        new MatchedRoute(route, module.argvTemplate()),
        entrypoint,
        guest,
        environment,
        new StderrLog(config.logDir(), route),
        deadlines,
        module.limits(),
        module.maxConcurrency(),
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
              + module.modulePath()
              + " exports no function \""
              + name
              + "\"");
    }
  }

  /** Runs the module's _routes export; each output line is "subpath entrypoint". */
  private static List<String[]> dynamicRoutes(ModuleConfig module, Guest guest)
      throws ConfigException {
    String where = module.where() + ": module " + module.modulePath() + ": _routes";
    GuestResult result;
    try {
      result = guest.run(ROUTES_EXPORT, List.of(module.route()), Map.of(), new byte[0]);
    } catch (GuestFailure e) {
      throw new ConfigException(where + " failed: " + e.getMessage(), e);
    }
    if (result.exitCode() != 0) {
      throw new ConfigException(where + " exited with code " + result.exitCode());
    }
    List<String[]> lines = new ArrayList<>();
    for (String line : new String(result.stdout(), StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] fields = line.trim().split("\\s+");
      if (fields.length != 2 || !fields[0].startsWith("/")) {
        throw new ConfigException(
            where + ": line \"" + line.trim() + "\" is not \"/subpath entrypoint\"");
      }
      lines.add(fields);
    }
    if (lines.isEmpty()) {
      throw new ConfigException(where + " printed no routes");
    }
    return lines;
  }
}
