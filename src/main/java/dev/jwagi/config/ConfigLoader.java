package dev.jwagi.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import dev.jwagi.source.Digest;
import dev.jwagi.source.ModuleSource;
import dev.jwagi.source.OciReference;
import dev.jwagi.source.RegistryCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns flags, env files and modules.toml into an {@link AppConfig}, or fails with a message that
 * names the file, the route and the key. Unknown keys are warned about and ignored, as in WAGI.
 */
public final class ConfigLoader {
  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

  private static final Set<String> TOP_LEVEL_KEYS = Set.of("default_host", "module");
  private static final Set<String> MODULE_KEYS =
      Set.of(
          "route",
          "module",
          "digest",
          "entrypoint",
          "argv",
          "volumes",
          "environment",
          "allowed_hosts",
          "http_max_concurrency",
          "max_concurrency",
          "timeout",
          "max_memory",
          "max_body",
          "max_output");

  private final Path workingDir;

  public ConfigLoader(Path workingDir) {
    this.workingDir = workingDir.toAbsolutePath().normalize();
  }

  public AppConfig load(Flags flags) throws ConfigException {
    refuseBindle(flags);
    if (flags.configFile == null) {
      throw new ConfigException("no modules.toml given: use -c/--config FILE");
    }
    TlsIdentity tls =
        flags.tlsCert == null && flags.tlsKey == null
            ? null
            : TlsIdentity.load(
                flags.tlsCert == null ? null : workingDir.resolve(flags.tlsCert),
                flags.tlsKey == null ? null : workingDir.resolve(flags.tlsKey));
    TrustedProxies trustedProxies;
    try {
      trustedProxies =
          flags.trustProxy == null
              ? TrustedProxies.NONE
              : TrustedProxies.loopbackAnd(flags.trustProxy);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "--trust-proxy: "
              + e.getMessage()
              + "; give IP addresses or CIDR ranges, e.g. 10.0.0.0/8");
    }
    Path configFile = workingDir.resolve(flags.configFile).normalize();
    String[] listen = listenAddress(flags);
    Limits limits = serverLimits(flags);
    Observability observability = observability(flags);
    Map<String, String> env = globalEnv(flags);

    JsonNode root = parseToml(configFile);
    warnUnknownKeys(root, TOP_LEVEL_KEYS, configFile + ":");
    String defaultHost = flags.defaultHost;
    if (defaultHost == null) {
      JsonNode node = root.get("default_host");
      if (node != null && !node.isTextual()) {
        throw new ConfigException(configFile + ": key `default_host` must be a string");
      }
      defaultHost = node == null ? Flags.DEFAULT_HOST : node.asText();
    }

    List<ModuleConfig> modules = new ArrayList<>();
    JsonNode moduleList = root.get("module");
    if (moduleList == null) {
      log.warn("{}: no [[module]] entries; only /healthz will answer", configFile);
    } else if (!moduleList.isArray()) {
      throw new ConfigException(
          configFile + ": `module` must be a list of tables, written [[module]]");
    } else {
      for (int i = 0; i < moduleList.size(); i++) {
        modules.add(moduleConfig(configFile, i + 1, moduleList.get(i), limits));
      }
    }

    ConnectionLimits connections = connectionLimits(flags);
    warnOverBudget(modules, connections);
    Path logDir = flags.logDir == null ? defaultLogDir() : workingDir.resolve(flags.logDir);
    Path cache = flags.noModuleCache ? null : workingDir.resolve(flags.moduleCache);
    return new AppConfig(
        configFile,
        listen[0],
        Integer.parseInt(listen[1]),
        defaultHost,
        Collections.unmodifiableMap(env),
        logDir,
        cache,
        registryCredentials(flags),
        connections,
        List.copyOf(modules),
        tls,
        trustedProxies,
        observability);
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
    RoutePattern route;
    try {
      route = RoutePattern.parse(run.route);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": --route " + e.getMessage(), e);
    }
    ModuleSource source = moduleSource(run.module, run.digest, null, where, SourceNames.RUN);
    Map<String, Path> volumes = new LinkedHashMap<>();
    for (String volume : run.volumes) {
      int eq = volume.indexOf('=');
      if (eq <= 0 || eq == volume.length() - 1) {
        throw new ConfigException(
            where + ": --volume \"" + volume + "\": expected GUEST=HOST, e.g. /data=./data");
      }
      String guest = volume.substring(0, eq);
      volumes.put(
          guest, resolveExisting(volume.substring(eq + 1), null, where, "--volume " + guest, true));
    }
    ModuleConfig module =
        new ModuleConfig(
            where,
            route,
            source,
            run.entrypoint,
            run.argv,
            Collections.unmodifiableMap(volumes),
            Map.of(),
            AllowedHosts.NONE,
            null,
            null,
            serverLimits(flags));
    return new AppConfig(
        null,
        "127.0.0.1",
        0,
        flags.defaultHost == null ? Flags.DEFAULT_HOST : flags.defaultHost,
        Collections.unmodifiableMap(globalEnv(flags)),
        flags.logDir == null ? defaultLogDir() : workingDir.resolve(flags.logDir),
        flags.noModuleCache ? null : workingDir.resolve(flags.moduleCache),
        registryCredentials(flags),
        connectionLimits(flags),
        List.of(module),
        null,
        TrustedProxies.NONE,
        // one request, its response alone on stdout: no access line, no metrics
        new Observability(false, false, observability(flags).logFormat()));
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

  /** JWAGI_REGISTRY_USER and JWAGI_REGISTRY_PASSWORD from jwagi's own environment, or null. */
  private static RegistryCredentials registryCredentials(Flags flags) throws ConfigException {
    try {
      return RegistryCredentials.from(flags.processEnv);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("registry credentials: " + e.getMessage(), e);
    }
  }

  /** --env-file files in order, then -e (it wins); one pair of quotes around a value goes. */
  private Map<String, String> globalEnv(Flags flags) throws ConfigException {
    Map<String, String> env = new LinkedHashMap<>();
    for (Path envFile : flags.envFiles) {
      env.putAll(EnvFiles.read(workingDir.resolve(envFile)));
    }
    for (String pair : flags.env) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("-e/--env \"" + pair + "\": expected NAME=VALUE");
      }
      env.put(pair.substring(0, eq), EnvFiles.unquote(pair.substring(eq + 1)));
    }
    return env;
  }

  private ModuleConfig moduleConfig(Path file, int number, JsonNode table, Limits serverLimits)
      throws ConfigException {
    String where = file + ": [[module]] #" + number;
    if (!table.isObject()) {
      throw new ConfigException(where + ": expected a table");
    }
    String routeText = requiredString(table, "route", where);
    where = where + " (route \"" + routeText + "\")";
    RoutePattern route;
    try {
      route = RoutePattern.parse(routeText);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `route`: " + e.getMessage(), e);
    }
    warnUnknownKeys(table, MODULE_KEYS, where + ":");
    ModuleSource source =
        moduleSource(
            requiredString(table, "module", where),
            optionalString(table, "digest", where),
            file,
            where,
            SourceNames.TOML);
    String entrypoint = optionalString(table, "entrypoint", where);
    String argv = optionalString(table, "argv", where);

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
            resolveExisting(volume.getValue().asText(), file, where, "key `" + key + "`", true));
      }
    }

    Map<String, String> environment = new LinkedHashMap<>();
    JsonNode envTable = table.get("environment");
    if (envTable != null) {
      if (!envTable.isObject()) {
        throw new ConfigException(
            where + ": key `environment` must be a table of NAME = \"value\", e.g. { A = \"1\" }");
      }
      Iterator<Map.Entry<String, JsonNode>> it = envTable.fields();
      while (it.hasNext()) {
        var variable = it.next();
        if (!variable.getValue().isTextual()) {
          throw new ConfigException(
              where + ": key `environment." + variable.getKey() + "` must be a string");
        }
        if (variable.getKey().isEmpty() || variable.getKey().contains("=")) {
          throw new ConfigException(
              where + ": key `environment`: \"" + variable.getKey() + "\" is not a variable name");
        }
        environment.put(variable.getKey(), variable.getValue().asText());
      }
    }

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
    AllowedHosts outbound;
    try {
      outbound = AllowedHosts.parse(allowedHosts);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": key `allowed_hosts`: " + e.getMessage());
    }
    Integer httpMaxConcurrency = positiveInt(table, "http_max_concurrency", where);
    Integer maxConcurrency = positiveInt(table, "max_concurrency", where);

    Limits limits =
        new Limits(
            table.has("timeout")
                ? LimitKey.TIMEOUT.durationKey(where, text(table, "timeout"))
                : serverLimits.timeout(),
            table.has("max_memory")
                ? LimitKey.MAX_MEMORY.sizeKey(where, text(table, "max_memory"))
                : serverLimits.maxMemoryBytes(),
            table.has("max_body")
                ? LimitKey.MAX_BODY.sizeKey(where, text(table, "max_body"))
                : serverLimits.maxBodyBytes(),
            table.has("max_output")
                ? LimitKey.MAX_OUTPUT.sizeKey(where, text(table, "max_output"))
                : serverLimits.maxOutputBytes());
    return new ModuleConfig(
        where,
        route,
        source,
        entrypoint == null ? "_start" : entrypoint,
        argv,
        Collections.unmodifiableMap(volumes),
        Collections.unmodifiableMap(environment),
        outbound,
        httpMaxConcurrency,
        maxConcurrency,
        limits);
  }

  private static Integer positiveInt(JsonNode table, String key, String where)
      throws ConfigException {
    JsonNode node = table.get(key);
    if (node == null) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 1) {
      throw new ConfigException(where + ": key `" + key + "` must be a positive integer");
    }
    return node.asInt();
  }

  /** A limit key's value as written: a string, or a bare TOML number (a size in bytes). */
  private static String text(JsonNode table, String key) {
    JsonNode node = table.get(key);
    return node.isTextual() ? node.asText() : node.toString();
  }

  /**
   * A `module` reference: a path or file:// URL (as in WAGI), {@code oci:REF}, or an https:// URL
   * with its `digest`.
   */
  /** How messages name the module reference and its digest: TOML keys, or run's arguments. */
  private record SourceNames(String module, String digest) {
    static final SourceNames TOML = new SourceNames("key `module`", "key `digest`");
    static final SourceNames RUN = new SourceNames("MODULE", "--digest");
  }

  private ModuleSource moduleSource(
      String reference, String digestText, Path file, String where, SourceNames names)
      throws ConfigException {
    String scheme =
        reference.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*")
            ? reference.substring(0, reference.indexOf(':')).toLowerCase(java.util.Locale.ROOT)
            : "";
    Digest digest = null;
    if (digestText != null) {
      if (!scheme.equals("https") && !scheme.equals("http")) {
        throw new ConfigException(
            where
                + ": "
                + names.digest()
                + " is for https:// modules only"
                + (scheme.equals("oci") ? " (pin an oci: module with REF@sha256:...)" : ""));
      }
      try {
        digest = Digest.parse(digestText);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + ": " + names.digest() + ": " + e.getMessage(), e);
      }
    }
    try {
      switch (scheme) {
        case "" -> {
          return new ModuleSource.LocalFile(
              resolveExisting(reference, file, where, names.module(), false));
        }
        case "file" -> {
          String path;
          try {
            path = Path.of(new URI(reference)).toString();
          } catch (URISyntaxException | IllegalArgumentException e) {
            throw new ConfigException(
                where
                    + ": "
                    + names.module()
                    + ": \""
                    + reference
                    + "\" is not a valid file:// URL");
          }
          return new ModuleSource.LocalFile(
              resolveExisting(path, file, where, names.module(), false));
        }
        case "oci" -> {
          return new ModuleSource.Oci(OciReference.parse(reference.substring("oci:".length())));
        }
        case "https", "http" -> {
          if (digest == null) {
            throw new ConfigException(
                where
                    + ": "
                    + names.digest()
                    + " is required with an "
                    + scheme
                    + ":// module: sha256:... (`sha256sum` of the .wasm), so what is downloaded is"
                    + " what you meant");
          }
          return ModuleSource.Url.of(reference, digest);
        }
        default ->
            throw new ConfigException(
                where
                    + ": "
                    + names.module()
                    + ": \""
                    + reference
                    + "\": "
                    + scheme
                    + ": is not a supported module reference; give a file path, a file:// or https://"
                    + " URL, or oci:REGISTRY/REPOSITORY:TAG");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + names.module() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A relative path resolves against the working directory first, as in WAGI, then against the
   * folder of modules.toml (if there is one). The error lists every place tried.
   */
  private Path resolveExisting(
      String text, Path configFile, String where, String what, boolean directory)
      throws ConfigException {
    Path given = Path.of(text);
    List<Path> candidates =
        given.isAbsolute()
            ? List.of(given)
            : configFile == null
                ? List.of(workingDir.resolve(given).normalize())
                : List.of(
                    workingDir.resolve(given).normalize(),
                    configFile.getParent().resolve(given).normalize());
    for (Path candidate : candidates) {
      if (directory ? Files.isDirectory(candidate) : Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    StringBuilder tried = new StringBuilder();
    for (Path candidate : candidates) {
      tried.append(tried.length() == 0 ? "" : ", ").append(candidate);
    }
    throw new ConfigException(
        where
            + ": "
            + what
            + ": no "
            + (directory ? "directory" : "file")
            + " \""
            + text
            + "\"; tried "
            + tried);
  }

  private static JsonNode parseToml(Path file) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(file + ": no such file (given with -c/--config)");
    }
    // The TOML parser alone, without an ObjectMapper: initialising databind's mapper was ~30 ms
    // of every start (bench/profile-startup.sh) for a file of a few lines.
    try (JsonParser parser = new TomlFactory().createParser(file.toFile())) {
      JsonNode root = parser.nextToken() == null ? null : tree(parser);
      return root != null && root.isObject() ? root : JsonNodeFactory.instance.objectNode();
    } catch (JacksonException e) {
      throw new ConfigException(
          file + ": invalid TOML: " + e.getOriginalMessage() + locationOf(e), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The value at the parser's current token, read to its end, as a tree. */
  private static JsonNode tree(JsonParser parser) throws IOException {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    switch (parser.currentToken()) {
      case START_OBJECT -> {
        ObjectNode object = nodes.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          object.set(name, tree(parser));
        }
        return object;
      }
      case START_ARRAY -> {
        ArrayNode array = nodes.arrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(tree(parser));
        }
        return array;
      }
      case VALUE_STRING -> {
        return nodes.textNode(parser.getText());
      }
      case VALUE_NUMBER_INT -> {
        return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? nodes.numberNode(parser.getBigIntegerValue())
            : nodes.numberNode(parser.getLongValue());
      }
      case VALUE_NUMBER_FLOAT -> {
        return nodes.numberNode(parser.getDoubleValue());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return nodes.booleanNode(parser.getBooleanValue());
      }
      case VALUE_NULL -> {
        return nodes.nullNode();
      }
      default -> {
        return nodes.pojoNode(parser.getEmbeddedObject());
      }
    }
  }

  private static String locationOf(JacksonException e) {
    var location = e.getLocation();
    return location == null || location.getLineNr() < 1
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  private static String requiredString(JsonNode table, String key, String where)
      throws ConfigException {
    String value = optionalString(table, key, where);
    if (value == null || value.isBlank()) {
      throw new ConfigException(where + ": key `" + key + "` is required");
    }
    return value;
  }

  private static String optionalString(JsonNode table, String key, String where)
      throws ConfigException {
    JsonNode node = table.get(key);
    if (node == null) {
      return null;
    }
    if (!node.isTextual()) {
      throw new ConfigException(where + ": key `" + key + "` must be a string");
    }
    return node.asText();
  }

  private static void warnUnknownKeys(JsonNode table, Set<String> known, String where) {
    table
        .fieldNames()
        .forEachRemaining(
            key -> {
              if (!known.contains(key)) {
                log.warn("{} unknown key `{}` ignored", where, key);
              }
            });
  }

  /** host and port to listen on: -l, else PORT (Knative) on all interfaces, else the default. */
  private static String[] listenAddress(Flags flags) throws ConfigException {
    String listen = flags.listen;
    if (listen == null && flags.portVariable != null) {
      listen = "0.0.0.0:" + flags.portVariable.trim();
    }
    if (listen == null) {
      listen = Flags.DEFAULT_LISTEN;
    }
    int colon = listen.lastIndexOf(':');
    String host = colon < 0 ? "" : listen.substring(0, colon);
    String port = colon < 0 ? "" : listen.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    boolean validPort = port.matches("\\d{1,5}") && Integer.parseInt(port) <= 65535;
    if (host.isEmpty() || !validPort) {
      throw new ConfigException(
          (flags.listen == null ? "PORT=" + flags.portVariable : "-l/--listen " + listen)
              + ": expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:3000");
    }
    return new String[] {host, port};
  }

  private static ConnectionLimits connectionLimits(Flags flags) throws ConfigException {
    if (flags.maxConcurrency < 1) {
      throw new ConfigException("--max-concurrency must be at least 1");
    }
    if (flags.queue < 0) {
      throw new ConfigException("--queue must be 0 or more");
    }
    return new ConnectionLimits(
        LimitKey.READ_TIMEOUT.durationFlag(flags.readTimeout),
        LimitKey.IDLE_TIMEOUT.durationFlag(flags.idleTimeout),
        flags.maxConcurrency,
        flags.queue,
        LimitKey.DRAIN_TIMEOUT.durationFlag(flags.drainTimeout),
        flags.maxBuffered == null
            ? Flags.defaultMaxBuffered()
            : LimitKey.MAX_BUFFERED.sizeFlag(flags.maxBuffered));
  }

  /**
   * --metrics, --access-log and --log-format. Public so that start-up can set the log format before
   * anything else is logged.
   */
  public static Observability observability(Flags flags) throws ConfigException {
    Observability.LogFormat format =
        switch (flags.logFormat.trim().toLowerCase(java.util.Locale.ROOT)) {
          case "text" -> Observability.LogFormat.TEXT;
          case "json" -> Observability.LogFormat.JSON;
          default ->
              throw new ConfigException(
                  "--log-format \"" + flags.logFormat + "\": expected text or json");
        };
    return new Observability(
        onOff("--metrics", flags.metrics), onOff("--access-log", flags.accessLog), format);
  }

  private static boolean onOff(String flag, String value) throws ConfigException {
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new ConfigException(flag + " \"" + value + "\": expected on or off");
    };
  }

  private static Limits serverLimits(Flags flags) throws ConfigException {
    return new Limits(
        LimitKey.TIMEOUT.durationFlag(flags.timeout),
        LimitKey.MAX_MEMORY.sizeFlag(flags.maxMemory),
        LimitKey.MAX_BODY.sizeFlag(flags.maxBody),
        LimitKey.MAX_OUTPUT.sizeFlag(flags.maxOutput));
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

  private static Path defaultLogDir() throws ConfigException {
    try {
      return Files.createTempDirectory("jwagi-logs-");
    } catch (IOException e) {
      throw new ConfigException("cannot create a log directory (use --log-dir): " + e, e);
    }
  }
}
