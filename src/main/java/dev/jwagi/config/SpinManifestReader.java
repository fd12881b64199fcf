package dev.jwagi.config;

import static dev.jwagi.config.TomlTables.optionalString;
import static dev.jwagi.config.TomlTables.requiredString;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a Spin manifest ({@code spin.toml}, version 2 or 1) into a {@link SpinApp}: the HTTP
 * triggers whose components run with Spin's WAGI executor, as Spin reads them (spinframework/spin
 * crates/manifest: schema/v1.rs, schema/v2.rs, compat.rs, normalize.rs; crates/http/src/config.rs).
 * What a WAGI module cannot use under jwagi either stops start-up, naming the file, the table and
 * the key (other triggers, other executors, static responses, registry sources, component
 * dependencies, variables in allowed hosts), or is ignored with a warning where Spin would run the
 * app regardless and the module could not tell (key-value stores, SQLite databases, AI models,
 * component variables, private routes, profiles).
 */
final class SpinManifestReader {
  private static final Logger log = LoggerFactory.getLogger(SpinManifestReader.class);

  /**
   * Spin's WAGI executor's default argv (crates/http/src/config.rs, WagiTriggerConfig; its default
   * entrypoint is WAGI's, {@link ModuleConfig#DEFAULT_ENTRYPOINT}).
   */
  static final String DEFAULT_ARGV = "${SCRIPT_NAME} ${ARGS}";

  private static final Set<String> V2_TOP =
      Set.of("spin_manifest_version", "application", "variables", "trigger", "component");
  private static final Set<String> V1_TOP =
      Set.of(
          "spin_manifest_version",
          "spin_version",
          "name",
          "version",
          "description",
          "authors",
          "trigger",
          "variables",
          "component");
  private static final Set<String> APPLICATION_KEYS =
      Set.of("name", "version", "description", "authors", "targets", "trigger", "tool");
  private static final Set<String> TRIGGER_KEYS =
      Set.of(
          "id", "route", "component", "components", "executor", "static_response", "dependencies");
  private static final Set<String> V1_TRIGGER_KEYS = Set.of("route", "executor");
  private static final Set<String> EXECUTOR_KEYS = Set.of("type", "argv", "entrypoint");
  private static final Set<String> COMPONENT_KEYS =
      Set.of(
          "source",
          "description",
          "variables",
          "environment",
          "files",
          "exclude_files",
          "allowed_http_hosts",
          "allowed_outbound_hosts",
          "key_value_stores",
          "sqlite_databases",
          "ai_models",
          "targets",
          "build",
          "tool",
          "dependencies_inherit_configuration",
          "dependencies",
          "profile");
  private static final Set<String> V1_COMPONENT_KEYS =
      Set.of(
          "id",
          "source",
          "trigger",
          "description",
          "config",
          "environment",
          "files",
          "exclude_files",
          "allowed_http_hosts",
          "allowed_outbound_hosts",
          "key_value_stores",
          "sqlite_databases",
          "ai_models",
          "build");

  private final Path file;
  private final Path appRoot;
  private final String name;
  private final Consumer<String> warn;

  private SpinManifestReader(Path file, Consumer<String> warn) {
    this.file = file;
    this.appRoot = file.toAbsolutePath().getParent();
    this.name = file.toString();
    this.warn = warn;
  }

  /** Whether a parsed TOML file is a Spin manifest: it says which manifest version it is. */
  static boolean isSpinManifest(JsonNode root) {
    return root.has("spin_manifest_version") || root.has("spin_version");
  }

  /** Reads a parsed spin.toml; warnings go to the log. */
  static SpinApp read(Path file, JsonNode root) throws ConfigException {
    return read(file, root, log::warn);
  }

  static SpinApp read(Path file, JsonNode root, Consumer<String> warn) throws ConfigException {
    return new SpinManifestReader(file, warn).read(root);
  }

  private SpinApp read(JsonNode root) throws ConfigException {
    JsonNode version =
        root.has("spin_manifest_version")
            ? root.get("spin_manifest_version")
            : root.get("spin_version");
    List<SpinApp.Route> routes;
    int number;
    if (version.isTextual() && version.asText().strip().equals("1")
        || version.isIntegralNumber() && version.asInt() == 1) {
      number = 1;
      routes = readV1(root);
    } else if (version.isIntegralNumber() && version.asInt() == 2
        || version.isTextual() && version.asText().strip().equals("2")) {
      number = 2;
      routes = readV2(root);
    } else {
      throw new ConfigException(
          name
              + ": key `spin_manifest_version`: "
              + version
              + " is not a Spin manifest version jwagi reads (1 or 2)");
    }
    return new SpinApp(file, number, dedupe(routes));
  }

  /** A route written twice: the last wins, as in Spin's router; warned as Spin logs it. */
  private List<SpinApp.Route> dedupe(List<SpinApp.Route> routes) {
    Map<String, SpinApp.Route> byRoute = new LinkedHashMap<>();
    for (SpinApp.Route route : routes) {
      SpinApp.Route replaced = byRoute.remove(route.route().rawRoute());
      if (replaced != null) {
        warn.accept(
            replaced.where()
                + ": route \""
                + route.route().rawRoute()
                + "\" is defined again by "
                + route.where()
                + ", which wins (as in Spin)");
      }
      byRoute.put(route.route().rawRoute(), route);
    }
    return List.copyOf(byRoute.values());
  }

  // --- version 2 ---

  private List<SpinApp.Route> readV2(JsonNode root) throws ConfigException {
    warnUnknown(root, V2_TOP, name);
    JsonNode application = root.get("application");
    if (application == null || !application.isObject()) {
      throw new ConfigException(name + ": [application] is required (with its `name`)");
    }
    warnUnknown(application, APPLICATION_KEYS, name + ": [application]");
    String base = "/";
    JsonNode globals = application.get("trigger");
    if (globals != null && globals.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> types = globals.fields();
      while (types.hasNext()) {
        var type = types.next();
        if (type.getKey().equals("http")) {
          base = base(type.getValue(), name + ": [application.trigger.http]");
        }
      }
    }
    warnVariables(root);
    Map<String, JsonNode> componentTables = new LinkedHashMap<>();
    JsonNode components = root.get("component");
    if (components != null) {
      if (!components.isObject()) {
        throw new ConfigException(name + ": `component` must be tables, written [component.NAME]");
      }
      components.fields().forEachRemaining(e -> componentTables.put(e.getKey(), e.getValue()));
    }
    JsonNode triggers = root.get("trigger");
    if (triggers == null || !triggers.isObject()) {
      throw new ConfigException(name + ": no [[trigger.http]] entries: there is nothing to serve");
    }
    Map<String, SpinApp.Component> read = new LinkedHashMap<>();
    List<SpinApp.Route> routes = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> types = triggers.fields();
    while (types.hasNext()) {
      var type = types.next();
      if (!type.getKey().equals("http")) {
        throw new ConfigException(
            name
                + ": [[trigger."
                + type.getKey()
                + "]]: jwagi serves HTTP triggers only ([[trigger.http]] with executor = { type = \"wagi\" })");
      }
      if (!type.getValue().isArray()) {
        throw new ConfigException(
            name + ": `trigger.http` must be a list of tables, written [[trigger.http]]");
      }
      int n = 0;
      for (JsonNode trigger : type.getValue()) {
        n++;
        SpinApp.Route route = v2Route(trigger, n, base, componentTables, read);
        if (route != null) {
          routes.add(route);
        }
      }
    }
    for (String id : componentTables.keySet()) {
      if (!read.containsKey(id)) {
        warn.accept(name + ": [component." + id + "] is not used by any [[trigger.http]]; ignored");
      }
    }
    return routes;
  }

  private SpinApp.Route v2Route(
      JsonNode trigger,
      int n,
      String base,
      Map<String, JsonNode> componentTables,
      Map<String, SpinApp.Component> read)
      throws ConfigException {
    String where = name + ": [[trigger.http]] #" + n;
    if (!trigger.isObject()) {
      throw new ConfigException(where + ": expected a table");
    }
    JsonNode routeNode = trigger.get("route");
    if (routeNode != null && routeNode.isTextual()) {
      where += " (route \"" + routeNode.asText() + "\")";
    }
    warnUnknown(trigger, TRIGGER_KEYS, where);
    if (trigger.has("static_response")) {
      throw new ConfigException(
          where
              + ": key `static_response`: static responses are not supported by jwagi, which serves WAGI modules only");
    }
    if (trigger.has("components")) {
      throw new ConfigException(
          where
              + ": key `components`: middleware components are not supported by jwagi, which serves one WAGI module per route");
    }
    if (nonEmpty(trigger.get("dependencies"))) {
      throw new ConfigException(
          where + ": key `dependencies`: component dependencies are not supported by WAGI modules");
    }
    JsonNode componentNode = trigger.get("component");
    if (componentNode == null) {
      throw new ConfigException(
          where + ": key `component` is required (a [component.NAME] name or an inline table)");
    }
    SpinApp.Component component;
    if (componentNode.isTextual()) {
      String id = componentNode.asText();
      JsonNode table = componentTables.get(id);
      if (table == null) {
        throw new ConfigException(where + ": key `component`: there is no [component." + id + "]");
      }
      component = read.get(id);
      if (component == null) {
        component = component(id, name + ": [component." + id + "]", table, COMPONENT_KEYS);
        read.put(id, component);
      }
    } else if (componentNode.isObject()) {
      component =
          component(
              "inline component of trigger #" + n,
              where + ": key `component`",
              componentNode,
              COMPONENT_KEYS);
    } else {
      throw new ConfigException(
          where + ": key `component` must be a component name or an inline table");
    }
    return route(trigger, where, base, component);
  }

  // --- version 1 ---

  private List<SpinApp.Route> readV1(JsonNode root) throws ConfigException {
    warnUnknown(root, V1_TOP, name);
    JsonNode trigger = root.get("trigger");
    if (trigger == null || !trigger.isObject() || !trigger.has("type")) {
      throw new ConfigException(
          name + ": key `trigger` is required: trigger = { type = \"http\" }");
    }
    String type = trigger.get("type").asText();
    if (!type.equals("http")) {
      throw new ConfigException(
          name
              + ": key `trigger`: type \""
              + type
              + "\": jwagi serves HTTP triggers only (trigger = { type = \"http\" })");
    }
    String base = base(trigger, name + ": key `trigger`");
    warnVariables(root);
    JsonNode components = root.get("component");
    if (components == null || !components.isArray()) {
      throw new ConfigException(name + ": no [[component]] entries: there is nothing to serve");
    }
    List<SpinApp.Route> routes = new ArrayList<>();
    int n = 0;
    for (JsonNode table : components) {
      n++;
      if (!table.isObject()) {
        throw new ConfigException(name + ": [[component]] #" + n + ": expected a table");
      }
      JsonNode id = table.get("id");
      if (id == null || !id.isTextual() || id.asText().isBlank()) {
        throw new ConfigException(name + ": [[component]] #" + n + ": key `id` is required");
      }
      String where = name + ": [[component]] #" + n + " (id \"" + id.asText() + "\")";
      SpinApp.Component component = component(id.asText(), where, table, V1_COMPONENT_KEYS);
      JsonNode componentTrigger = table.get("trigger");
      if (componentTrigger == null || !componentTrigger.isObject()) {
        throw new ConfigException(where + ": [component.trigger] is required, with its `route`");
      }
      warnUnknown(componentTrigger, V1_TRIGGER_KEYS, where + ": [component.trigger]");
      SpinApp.Route route =
          route(componentTrigger, where + ": [component.trigger]", base, component);
      if (route != null) {
        routes.add(route);
      }
    }
    return routes;
  }

  // --- shared by both versions ---

  /** The http trigger's {@code base} (v1; Spin 2 honoured it, Spin 3 refuses any but "/"). */
  private String base(JsonNode table, String where) throws ConfigException {
    JsonNode base = table.get("base");
    if (base == null) {
      return "/";
    }
    if (!base.isTextual()) {
      throw new ConfigException(where + ": key `base` must be a string, e.g. \"/\"");
    }
    String text = base.asText();
    return text.startsWith("/") ? text : "/" + text;
  }

  /** A route and its executor; null for a private endpoint (warned: nothing can reach it). */
  private SpinApp.Route route(
      JsonNode trigger, String where, String base, SpinApp.Component component)
      throws ConfigException {
    JsonNode routeNode = trigger.get("route");
    if (routeNode == null) {
      throw new ConfigException(where + ": key `route` is required");
    }
    if (routeNode.isObject()) {
      JsonNode priv = routeNode.get("private");
      if (priv != null && priv.isBoolean() && priv.asBoolean()) {
        warn.accept(
            where
                + ": route = { private = true }: a private endpoint is reached only by Spin's service"
                + " chaining, which jwagi does not have; component "
                + component.id()
                + " is not served there");
        return null;
      }
      throw new ConfigException(
          where + ": key `route` must be a string pattern or { private = true }");
    }
    if (!routeNode.isTextual()) {
      throw new ConfigException(where + ": key `route` must be a string, e.g. \"/hello/...\"");
    }
    String raw = routeNode.asText();
    RoutePattern pattern;
    try {
      pattern = RoutePattern.parseSpin(raw, base);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `route`: " + e.getMessage(), e);
    }
    if (pattern.text().startsWith("/.well-known/spin/")) {
      warn.accept(
          where
              + ": routes under /.well-known/spin/ are Spin's own; jwagi serves this one, Spin never would");
    }
    JsonNode executor = trigger.get("executor");
    String type =
        executor == null
            ? "spin"
            : executor.isObject() && executor.has("type") ? executor.get("type").asText() : null;
    if (type == null) {
      throw new ConfigException(
          where + ": key `executor` must be a table with a `type`, e.g. { type = \"wagi\" }");
    }
    if (!type.equals("wagi")) {
      throw new ConfigException(
          where
              + (executor == null
                  ? ": no `executor`, so Spin's default (the component model's"
                  : ": key `executor`: type \"" + type + "\" (the component model's")
              + " HTTP handler); jwagi runs WAGI modules only: executor = { type = \"wagi\" }, for a"
              + " module that reads CGI variables and stdin and writes a CGI response to stdout");
    }
    warnUnknown(executor, EXECUTOR_KEYS, where + ": key `executor`");
    String argv = optionalString(executor, "argv", where + ": key `executor`");
    String entrypoint = optionalString(executor, "entrypoint", where + ": key `executor`");
    return new SpinApp.Route(
        where,
        new SpinRoute(pattern, raw, base),
        component,
        argv == null ? DEFAULT_ARGV : argv,
        entrypoint == null ? ModuleConfig.DEFAULT_ENTRYPOINT : entrypoint);
  }

  private SpinApp.Component component(String id, String where, JsonNode table, Set<String> keys)
      throws ConfigException {
    warnUnknown(table, keys, where);
    SpinApp.Source source = source(table.get("source"), where);
    for (String ignored : List.of("key_value_stores", "sqlite_databases", "ai_models")) {
      if (nonEmpty(table.get(ignored))) {
        warn.accept(
            where
                + ": key `"
                + ignored
                + "`: ignored: a WAGI module has no access to them under jwagi (nor any import to reach them)");
      }
    }
    for (String ignored : List.of("variables", "config")) {
      if (nonEmpty(table.get(ignored))) {
        warn.accept(
            where
                + ": key `"
                + ignored
                + "`: ignored: jwagi has no Spin variables (give the module `environment` instead)");
      }
    }
    if (nonEmpty(table.get("profile"))) {
      warn.accept(
          where
              + ": key `profile`: ignored: jwagi has no profiles; the component's own settings apply");
    }
    if (nonEmpty(table.get("dependencies"))) {
      throw new ConfigException(
          where + ": key `dependencies`: component dependencies are not supported by WAGI modules");
    }
    Map<String, String> environment = TomlTables.environment(table, where);
    List<SpinFiles.Mount> mounts = mounts(table.get("files"), where);
    List<String> excludes = strings(table.get("exclude_files"), where, "exclude_files");
    Map<String, Path> files;
    try {
      files =
          SpinFiles.select(
              appRoot, mounts, excludes, w -> warn.accept(where + ": key `files`: " + w));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `files`: " + e.getMessage(), e);
    }
    AllowedHosts hosts = allowedHosts(table, where);
    return new SpinApp.Component(
        id,
        where,
        source,
        Collections.unmodifiableMap(files),
        Collections.unmodifiableMap(environment),
        hosts);
  }

  private SpinApp.Source source(JsonNode source, String where) throws ConfigException {
    if (source == null) {
      throw new ConfigException(where + ": key `source` is required");
    }
    if (source.isTextual()) {
      Path path = appRoot.resolve(source.asText()).normalize();
      if (!Files.isRegularFile(path)) {
        throw new ConfigException(
            where
                + ": key `source`: no such file: "
                + path
                + " (relative to the manifest's folder, as in Spin)");
      }
      return new SpinApp.Source.Local(path);
    }
    if (source.isObject() && source.has("url")) {
      String url = requiredString(source, "url", where + ": key `source`");
      String digest = requiredString(source, "digest", where + ": key `source`");
      if (!digest.startsWith("sha256:")) {
        throw new ConfigException(
            where + ": key `source`: `digest` \"" + digest + "\" must start with \"sha256:\"");
      }
      return new SpinApp.Source.Remote(url, digest);
    }
    if (source.isObject() && source.has("package")) {
      throw new ConfigException(
          where
              + ": key `source`: a registry package ({ registry, package, version }) is not supported"
              + " by jwagi: give a path or { url, digest }");
    }
    throw new ConfigException(
        where + ": key `source` must be a path, { url, digest } or { registry, package, version }");
  }

  private List<SpinFiles.Mount> mounts(JsonNode files, String where) throws ConfigException {
    List<SpinFiles.Mount> mounts = new ArrayList<>();
    if (files == null) {
      return mounts;
    }
    if (!files.isArray()) {
      throw new ConfigException(
          where
              + ": key `files` must be a list of paths, globs and { source, destination } tables");
    }
    for (JsonNode entry : files) {
      if (entry.isTextual()) {
        mounts.add(new SpinFiles.Mount.Glob(entry.asText()));
      } else if (entry.isObject() && entry.has("source") && entry.has("destination")) {
        mounts.add(
            new SpinFiles.Mount.Placement(
                requiredString(entry, "source", where + ": key `files`"),
                requiredString(entry, "destination", where + ": key `files`")));
      } else {
        throw new ConfigException(
            where
                + ": key `files`: "
                + entry
                + " is neither a path or glob nor { source = ..., destination = ... }");
      }
    }
    return mounts;
  }

  /** allowed_outbound_hosts, plus allowed_http_hosts converted as Spin converts it. */
  private AllowedHosts allowedHosts(JsonNode table, String where) throws ConfigException {
    List<String> outbound =
        strings(table.get("allowed_outbound_hosts"), where, "allowed_outbound_hosts");
    List<String> http = strings(table.get("allowed_http_hosts"), where, "allowed_http_hosts");
    AllowedHosts fromOutbound;
    try {
      fromOutbound =
          AllowedHosts.parseSpin(
              outbound, w -> warn.accept(where + ": key `allowed_outbound_hosts`: " + w));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `allowed_outbound_hosts`: " + e.getMessage(), e);
    }
    if (http.isEmpty()) {
      return fromOutbound;
    }
    try {
      return AllowedHosts.either(
          fromOutbound,
          AllowedHosts.parseSpinHttpHosts(
              http, w -> warn.accept(where + ": key `allowed_http_hosts`: " + w)));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `allowed_http_hosts`: " + e.getMessage(), e);
    }
  }

  private List<String> strings(JsonNode node, String where, String key) throws ConfigException {
    List<String> list = new ArrayList<>();
    if (node == null) {
      return list;
    }
    if (!node.isArray()) {
      throw new ConfigException(where + ": key `" + key + "` must be a list of strings");
    }
    for (JsonNode item : node) {
      if (!item.isTextual()) {
        throw new ConfigException(where + ": key `" + key + "` must be a list of strings");
      }
      list.add(item.asText());
    }
    return list;
  }

  private void warnVariables(JsonNode root) {
    if (nonEmpty(root.get("variables"))) {
      warn.accept(
          name
              + ": [variables]: ignored: jwagi has no Spin variables (a WAGI module reads its `environment`)");
    }
  }

  private void warnUnknown(JsonNode table, Set<String> known, String where) {
    Iterator<String> names = table.fieldNames();
    while (names.hasNext()) {
      String key = names.next();
      if (!known.contains(key)) {
        warn.accept(where + ": unknown key `" + key + "` ignored");
      }
    }
  }

  private static boolean nonEmpty(JsonNode node) {
    return node != null && !(node.isContainerNode() && node.isEmpty());
  }
}
