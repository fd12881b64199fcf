package dev.jwagi.config;

import static dev.jwagi.config.TomlTables.optionalString;
import static dev.jwagi.config.TomlTables.positiveInt;
import static dev.jwagi.config.TomlTables.requiredString;
import static dev.jwagi.config.TomlTables.warnUnknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads WAGI's modules.toml: {@code default_host} and the {@code [[module]]} tables, each into a
 * {@link ModuleConfig}, with errors naming file, route and key. The one place that knows this
 * format's keys (the per-route limits' keys are {@link LimitKey}'s).
 */
final class ModulesTomlReader {
  // Under the entry point's name: operators (and tests) follow configuration warnings there.
  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

  private static final Set<String> TOP_LEVEL_KEYS = Set.of("default_host", "module");
  private static final Set<String> MODULE_KEYS = moduleKeys();
  private static final ModuleReferences.Names NAMES =
      new ModuleReferences.Names("key `module`", "key `digest`");

  private final ModuleReferences references;
  private final Limits routeDefaults;

  /** {@code routeDefaults}: the limits of a route that sets none of its own (the flags'). */
  ModulesTomlReader(ModuleReferences references, Limits routeDefaults) {
    this.references = references;
    this.routeDefaults = routeDefaults;
  }

  private static Set<String> moduleKeys() {
    Set<String> keys =
        new HashSet<>(
            Set.of(
                "route",
                "module",
                "digest",
                "entrypoint",
                "init",
                "argv",
                "volumes",
                "environment",
                "allowed_hosts",
                "http_max_concurrency",
                "max_concurrency"));
    for (LimitKey limit : LimitKey.values()) {
      if (limit.tomlKey() != null) {
        keys.add(limit.tomlKey());
      }
    }
    return Set.copyOf(keys);
  }

  /** {@code file}: absolute and normalised, as given with -c/--config; {@code root}: it parsed. */
  ConfigFile read(Path file, JsonNode root) throws ConfigException {
    warnUnknownKeys(root, TOP_LEVEL_KEYS, file + ":");
    JsonNode defaultHost = root.get("default_host");
    if (defaultHost != null && !defaultHost.isTextual()) {
      throw new ConfigException(file + ": key `default_host` must be a string");
    }
    List<ModuleConfig> modules = new ArrayList<>();
    JsonNode moduleList = root.get("module");
    if (moduleList == null) {
      log.warn("{}: no [[module]] entries; only /healthz will answer", file);
    } else if (!moduleList.isArray()) {
      throw new ConfigException(file + ": `module` must be a list of tables, written [[module]]");
    } else {
      for (int i = 0; i < moduleList.size(); i++) {
        modules.add(module(file, i + 1, moduleList.get(i)));
      }
    }
    return new ConfigFile(file, defaultHost == null ? null : defaultHost.asText(), modules);
  }

  private ModuleConfig module(Path file, int number, JsonNode table) throws ConfigException {
    String where = file + ": [[module]] #" + number;
    if (!table.isObject()) {
      throw new ConfigException(where + ": expected a table");
    }
    String routeText = requiredString(table, "route", where);
    where = where + " (route \"" + routeText + "\")";
    ModuleConfig.Builder module = ModuleConfig.builder().withWhere(where);
    try {
      module.withRoute(RoutePattern.parse(routeText));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `route`: " + e.getMessage(), e);
    }
    warnUnknownKeys(table, MODULE_KEYS, where + ":");
    module.withSource(
        references.source(
            requiredString(table, "module", where),
            optionalString(table, "digest", where),
            file,
            where,
            NAMES));
    String entrypoint = optionalString(table, "entrypoint", where);
    if (entrypoint != null) {
      module.withEntrypoint(entrypoint);
    }
    init(table, module, where);
    return module
        .withArgvTemplate(optionalString(table, "argv", where))
        .withVolumes(volumes(table, file, where))
        .withEnvironment(TomlTables.environment(table, where))
        .withAllowedHosts(allowedHosts(table, where))
        .withHttpMaxConcurrency(positiveInt(table, "http_max_concurrency", where))
        .withMaxConcurrency(positiveInt(table, "max_concurrency", where))
        .withLimits(limits(table, where))
        .build();
  }

  /**
   * The {@code init} key: an export's name, or {@code false} to keep a module that exports Wizer's
   * init from being pre-initialised (e.g. its init reads the clock or the environment).
   */
  private static void init(JsonNode table, ModuleConfig.Builder module, String where)
      throws ConfigException {
    JsonNode node = table.get("init");
    if (node == null) {
      return;
    }
    if (node.isBoolean() && !node.booleanValue()) {
      module.withoutInit();
      return;
    }
    if (!node.isTextual()) {
      throw new ConfigException(
          where
              + ": key `init` must be the name of an exported function (a string), or false to"
              + " not pre-initialise the module; without it, Wizer's wizer.initialize runs if the"
              + " module exports it");
    }
    try {
      module.withInit(node.asText());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `init` " + e.getMessage(), e);
    }
  }

  private Map<String, Path> volumes(JsonNode table, Path file, String where)
      throws ConfigException {
    Map<String, Path> volumes = new LinkedHashMap<>();
    JsonNode volumeTable = table.get("volumes");
    if (volumeTable != null) {
      if (!volumeTable.isObject()) {
        throw new ConfigException(
            where + ": key `volumes` must be a table of guest path = \"host path\"");
      }
      Iterator<Map.Entry<String, JsonNode>> it = volumeTable.fields();
      while (it.hasNext()) {
        var volume = it.next();
        String key = "volumes.\"" + volume.getKey() + "\"";
        if (!volume.getValue().isTextual()) {
          throw new ConfigException(where + ": key `" + key + "` must be a string (a host path)");
        }
        volumes.put(
            volume.getKey(),
            references.existing(
                volume.getValue().asText(), file, where, "key `" + key + "`", true));
      }
    }
    return volumes;
  }

  private static AllowedHosts allowedHosts(JsonNode table, String where) throws ConfigException {
    List<String> allowedHosts = new ArrayList<>();
    JsonNode hosts = table.get("allowed_hosts");
    if (hosts != null) {
      if (!hosts.isArray()) {
        throw new ConfigException(where + ": key `allowed_hosts` must be a list of URLs");
      }
      for (JsonNode host : hosts) {
        if (!host.isTextual()) {
          throw new ConfigException(where + ": key `allowed_hosts` must be a list of strings");
        }
        allowedHosts.add(host.asText());
      }
    }
    try {
      return AllowedHosts.parse(allowedHosts);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `allowed_hosts`: " + e.getMessage());
    }
  }

  /** Each limit the table sets, else the route default. */
  private Limits limits(JsonNode table, String where) throws ConfigException {
    return new Limits(
        TomlTables.duration(table, LimitKey.TIMEOUT, where, routeDefaults.timeout()),
        TomlTables.size(table, LimitKey.MAX_MEMORY, where, routeDefaults.maxMemoryBytes()),
        TomlTables.size(table, LimitKey.MAX_BODY, where, routeDefaults.maxBodyBytes()),
        TomlTables.size(table, LimitKey.MAX_OUTPUT, where, routeDefaults.maxOutputBytes()),
        (int)
            TomlTables.size(
                table, LimitKey.MAX_TABLE_ELEMENTS, where, routeDefaults.maxTableElements()));
  }
}
