package dev.jwagi.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry point of configuration: flags, env files and a configuration file into an {@link
 * AppConfig}, or a {@link ConfigException} whose message names the file, the route and the key. It
 * holds nothing but the working directory and sets up nothing (logging is the caller's), so a
 * reload can call {@link #load} again. {@link ServerSettings} checks the flags; a reader reads the
 * file into a {@link ConfigFile} ({@link ModulesTomlReader} WAGI's modules.toml, {@link
 * SpinManifestReader} a Spin app's spin.toml, told apart by their content); this joins the two.
 */
public final class ConfigLoader {
  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);
  private static final ModuleReferences.Names RUN_NAMES =
      new ModuleReferences.Names("MODULE", "--digest");

  private final Path workingDir;
  private final ModuleReferences references;

  public ConfigLoader(Path workingDir) {
    this.workingDir = workingDir.toAbsolutePath().normalize();
    this.references = new ModuleReferences(this.workingDir);
  }

  /** The server's config: the flags and the modules.toml given with -c/--config. */
  public AppConfig load(Flags flags) throws ConfigException {
    refuseBindle(flags);
    if (flags.configFile == null) {
      throw new ConfigException("no modules.toml (or spin.toml) given: use -c/--config FILE");
    }
    ServerSettings.Listening listening = ServerSettings.listening(flags, workingDir);
    ServerSettings server = ServerSettings.of(flags, workingDir);
    Path path = workingDir.resolve(flags.configFile).normalize();
    JsonNode root = TomlTables.parse(path, "-c/--config");
    ConfigFile file =
        SpinManifestReader.isSpinManifest(root)
            ? SpinModules.read(path, root, references, server.routeDefaults())
            : new ModulesTomlReader(references, server.routeDefaults()).read(path, root);
    warnOverBudget(file.modules(), server.connections());
    return listening
        .applyTo(server.appConfig(file.defaultHost()))
        .withConfigFile(file.path())
        .withModules(file.modules())
        .build();
  }

  /**
   * The config of {@code jwagi run}: its one module at {@code --route}, with the env, limits and
   * cache flags of the server.
   */
  public AppConfig loadRun(Flags flags, Flags.Run run) throws ConfigException {
    refuseBindle(flags);
    if (flags.configFile != null) {
      throw new ConfigException("jwagi run takes a MODULE, not -c/--config");
    }
    String where = "jwagi run " + run.module;
    JsonNode spin = spinManifest(run.module);
    if (spin != null) {
      return loadRunSpin(flags, run, spin);
    }
    if (run.component != null) {
      throw new ConfigException(where + ": --component is for a spin.toml MODULE");
    }
    ModuleConfig.Builder module = ModuleConfig.builder().withWhere(where);
    try {
      module.withRoute(RoutePattern.parse(run.route));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": --route " + e.getMessage(), e);
    }
    module.withSource(references.source(run.module, run.digest, null, where, RUN_NAMES));
    Map<String, Path> volumes = new LinkedHashMap<>();
    for (String volume : run.volumes) {
      int eq = volume.indexOf('=');
      if (eq <= 0 || eq == volume.length() - 1) {
        throw new ConfigException(
            where + ": --volume \"" + volume + "\": expected GUEST=HOST, e.g. /data=./data");
      }
      String guest = volume.substring(0, eq);
      volumes.put(
          guest,
          references.existing(volume.substring(eq + 1), null, where, "--volume " + guest, true));
    }
    ServerSettings server = ServerSettings.of(flags, workingDir);
    try {
      module.withInit(run.init);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": --init " + e.getMessage(), e);
    }
    module
        .withEntrypoint(run.entrypoint)
        .withArgvTemplate(run.argv)
        .withVolumes(volumes)
        .withLimits(server.routeDefaults());
    return server
        .appConfig(null)
        .withListen("127.0.0.1", 0) // never bound: jwagi run answers one request without a server
        .withModules(List.of(module.build()))
        // one request, its response alone on stdout: no access line, no metrics
        .withObservability(new Observability(false, false, server.observability().logFormat()))
        .build();
  }

  /** MODULE parsed, if it is a spin.toml (a .toml file that says its Spin manifest version). */
  private JsonNode spinManifest(String module) throws ConfigException {
    Path path = workingDir.resolve(module).normalize();
    if (!module.endsWith(".toml") || !Files.isRegularFile(path)) {
      return null;
    }
    JsonNode root = TomlTables.parse(path, "MODULE");
    if (!SpinManifestReader.isSpinManifest(root)) {
      throw new ConfigException(
          path
              + ": jwagi run takes a module or a spin.toml, not a modules.toml (use -c to serve it)");
    }
    return root;
  }

  /** jwagi run on a spin.toml: the component's routes, all else from the manifest. */
  private AppConfig loadRunSpin(Flags flags, Flags.Run run, JsonNode root) throws ConfigException {
    if (!run.volumes.isEmpty()
        || run.argv != null
        || run.digest != null
        || !run.route.equals(Flags.Run.DEFAULT_ROUTE)
        || !run.entrypoint.equals(ModuleConfig.DEFAULT_ENTRYPOINT)) {
      throw new ConfigException(
          "jwagi run "
              + run.module
              + ": --volume, --argv, --digest, --route and --entrypoint come from the spin.toml;"
              + " choose the component with --component");
    }
    ServerSettings server = ServerSettings.of(flags, workingDir);
    ConfigFile file =
        SpinModules.readComponent(
            workingDir.resolve(run.module).normalize(),
            root,
            run.component,
            references,
            server.routeDefaults());
    return server
        .appConfig(null)
        .withListen("127.0.0.1", 0) // never bound: jwagi run answers one request without a server
        .withConfigFile(file.path())
        .withModules(file.modules())
        // one request, its response alone on stdout: no access line, no metrics
        .withObservability(new Observability(false, false, server.observability().logFormat()))
        .build();
  }

  /** WAGI 0.8.1 could take its configuration from a Bindle server; jwagi cannot. */
  private static void refuseBindle(Flags flags) throws ConfigException {
    if (flags.bindle != null) {
      throw new ConfigException(
          "-b/--bindle/--bindle-path/--bindle-url/--bindle-server: Bindle is not supported by"
              + " jwagi (the Bindle project is discontinued); give a modules.toml with -c, its"
              + " modules as files, https:// URLs with a digest, or oci: references");
    }
  }

  /**
   * Warns when a route's guests, at their concurrency and memory cap, could need more than the
   * memory budget: they would then see memory.grow fail (or wait for memory) before their cap.
   */
  private static void warnOverBudget(List<ModuleConfig> modules, ConnectionLimits connections) {
    List<String> over = new ArrayList<>();
    for (ModuleConfig module : modules) {
      int concurrency =
          module.maxConcurrency() == null
              ? connections.maxConcurrency()
              : Math.min(module.maxConcurrency(), connections.maxConcurrency());
      if ((double) concurrency * module.limits().maxMemoryBytes()
          > connections.maxBufferedBytes()) {
        over.add(module.route().text());
      }
    }
    if (!over.isEmpty()) {
      log.warn(
          "routes {}: max_concurrency x max_memory exceeds the memory budget (--max-buffered {}"
              + " MiB); their guests may find memory.grow refused before their cap",
          over,
          connections.maxBufferedBytes() >> 20);
    }
  }
}
