package dev.jwagi.config;

import dev.jwagi.source.RegistryCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The server-wide settings that come from flags (and jwagi's own environment), checked, with their
 * defaults: the one place that turns flags into settings, for every configuration file reader and
 * for jwagi run alike.
 */
public final class ServerSettings {
  private final Flags flags;
  private final Path workingDir;
  private final Limits routeDefaults;
  private final Observability observability;
  private final Map<String, String> globalEnv;
  private final ConnectionLimits connections;
  private final RegistryCredentials registryCredentials;

  private ServerSettings(Flags flags, Path workingDir) throws ConfigException {
    this.flags = flags;
    this.workingDir = workingDir;
    this.routeDefaults = routeDefaults(flags);
    this.observability = observability(flags);
    this.globalEnv = globalEnv(flags, workingDir);
    this.connections = connectionLimits(flags, workingDir);
    this.registryCredentials = registryCredentials(flags, workingDir);
  }

  /**
   * Checks every flag that the server and jwagi run share. {@code workingDir}: absolute and
   * normalised; relative paths in flags resolve against it.
   */
  static ServerSettings of(Flags flags, Path workingDir) throws ConfigException {
    return new ServerSettings(flags, workingDir);
  }

  /** The limits of a route that sets none of its own: --timeout, --max-memory and so on. */
  Limits routeDefaults() {
    return routeDefaults;
  }

  ConnectionLimits connections() {
    return connections;
  }

  Observability observability() {
    return observability;
  }

  /**
   * An {@link AppConfig} builder with every server-wide setting: the default host (--hostname, else
   * {@code fileDefaultHost}, else {@link Flags#DEFAULT_HOST}), global env, log directory
   * (--log-dir, else a new temporary folder: made here, so call this once all else is checked),
   * module cache, registry credentials, connection limits and observability. Listening (address,
   * TLS, trusted proxies) is {@link #listening}'s.
   */
  AppConfig.Builder appConfig(String fileDefaultHost) throws ConfigException {
    String defaultHost =
        flags.defaultHost != null
            ? flags.defaultHost
            : fileDefaultHost != null ? fileDefaultHost : Flags.DEFAULT_HOST;
    return AppConfig.builder()
        .withDefaultHost(defaultHost)
        .withGlobalEnv(globalEnv)
        .withLogDir(flags.logDir == null ? defaultLogDir() : workingDir.resolve(flags.logDir))
        .withModuleCache(flags.noModuleCache ? null : workingDir.resolve(flags.moduleCache))
        .withRegistryCredentials(registryCredentials)
        .withConnections(connections)
        .withObservability(observability);
  }

  /** Where and how a server listens: -l (else PORT, else the default), TLS and trusted proxies. */
  record Listening(String host, int port, TlsIdentity tls, TrustedProxies trustedProxies) {
    AppConfig.Builder applyTo(AppConfig.Builder app) {
      return app.withListen(host, port).withTls(tls).withTrustedProxies(trustedProxies);
    }
  }

  /** The flags only a listening server has (jwagi run refuses them), checked. */
  static Listening listening(Flags flags, Path workingDir) throws ConfigException {
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
    return new Listening(host, Integer.parseInt(port), tls, trustedProxies);
  }

  /**
   * --metrics, --access-log and --log-format. Public so that start-up can set the log format before
   * anything else is logged (loading the configuration never touches logging).
   */
  public static Observability observability(Flags flags) throws ConfigException {
    Observability.LogFormat format =
        switch (flags.logFormat.trim().toLowerCase(Locale.ROOT)) {
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
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new ConfigException(flag + " \"" + value + "\": expected on or off");
    };
  }

  private static Limits routeDefaults(Flags flags) throws ConfigException {
    return new Limits(
        LimitKey.TIMEOUT.durationFlag(flags.timeout),
        LimitKey.MAX_MEMORY.sizeFlag(flags.maxMemory),
        LimitKey.MAX_BODY.sizeFlag(flags.maxBody),
        LimitKey.MAX_OUTPUT.sizeFlag(flags.maxOutput),
        (int) LimitKey.MAX_TABLE_ELEMENTS.sizeFlag(flags.maxTableElements));
  }

  /** --env-file files in order, then -e (it wins); one pair of quotes around a value goes. */
  private static Map<String, String> globalEnv(Flags flags, Path workingDir)
      throws ConfigException {
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

  private static ConnectionLimits connectionLimits(Flags flags, Path workingDir)
      throws ConfigException {
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
            : LimitKey.MAX_BUFFERED.sizeFlag(flags.maxBuffered),
        LimitKey.WRITE_TIMEOUT.durationFlag(flags.writeTimeout),
        LimitKey.MAX_SPOOL.sizeFlag(flags.maxSpool),
        spoolDir(flags, workingDir),
        LimitKey.MAX_STDERR_LOG.sizeFlag(flags.maxStderrLog));
  }

  /** --spool-dir (an existing folder), or the system temporary folder. */
  private static Path spoolDir(Flags flags, Path workingDir) throws ConfigException {
    Path dir =
        flags.spoolDir == null
            ? Path.of(System.getProperty("java.io.tmpdir"))
            : workingDir.resolve(flags.spoolDir);
    if (!Files.isDirectory(dir)) {
      throw new ConfigException("--spool-dir " + dir + ": no such folder");
    }
    return dir;
  }

  /** Registry logins: --registry-auth (or its defaults), then JWAGI_REGISTRY_* variables. */
  private static RegistryCredentials registryCredentials(Flags flags, Path workingDir)
      throws ConfigException {
    try {
      return RegistryCredentials.load(
          flags.registryAuth == null ? null : workingDir.resolve(flags.registryAuth),
          flags.processEnv,
          Path.of(System.getProperty("user.home")));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("registry credentials: " + e.getMessage(), e);
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
