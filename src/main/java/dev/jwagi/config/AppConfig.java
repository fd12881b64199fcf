package dev.jwagi.config;

import dev.jwagi.source.RegistryCredentials;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything jwagi serves with, validated: built once at start-up, never changed. Made with {@link
 * #builder()}, by {@link ConfigLoader} from the flags ({@link ServerSettings}) and what a
 * configuration file's reader gives ({@link ConfigFile}).
 *
 * @param configFile the configuration file read, or null (jwagi run has none)
 * @param listenHost the address to listen on
 * @param listenPort the port to listen on; 0: any free one
 * @param defaultHost "host:port" for SERVER_NAME/SERVER_PORT when a request has no Host header
 * @param globalEnv -e and --env-file variables, in order, -e last (it wins)
 * @param logDir where each route's guest stderr is appended
 * @param moduleCache folder of compiled-module classes, or null to compile every start
 * @param registryCredentials for OCI registries that ask, or null
 * @param connections the server-wide limits on connections and guests in flight
 * @param modules the routes, in file order
 * @param tls the certificate and key to serve HTTPS with, or null for plain HTTP
 * @param trustedProxies whose forwarded scheme (X-Forwarded-Proto, Forwarded) is believed
 * @param observability metrics, access log and log format
 */
public record AppConfig(
    Path configFile,
    String listenHost,
    int listenPort,
    String defaultHost,
    Map<String, String> globalEnv,
    Path logDir,
    Path moduleCache,
    RegistryCredentials registryCredentials,
    ConnectionLimits connections,
    List<ModuleConfig> modules,
    TlsIdentity tls,
    TrustedProxies trustedProxies,
    Observability observability) {

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sets the parts one at a time; {@link #build} checks that the required ones (listen address,
   * default host, log directory, connection limits, observability) are there. Without a call, a
   * part is: no config file, no global env, no module cache, no registry credentials, no modules,
   * plain HTTP, no trusted proxies.
   */
  public static final class Builder {
    private Path configFile;
    private String listenHost;
    private int listenPort = -1;
    private String defaultHost;
    private Map<String, String> globalEnv = Map.of();
    private Path logDir;
    private Path moduleCache;
    private RegistryCredentials registryCredentials;
    private ConnectionLimits connections;
    private List<ModuleConfig> modules = List.of();
    private TlsIdentity tls;
    private TrustedProxies trustedProxies = TrustedProxies.NONE;
    private Observability observability;

    private Builder() {}

    public Builder withConfigFile(Path configFile) {
      this.configFile = configFile;
      return this;
    }

    public Builder withListen(String host, int port) {
      this.listenHost = Objects.requireNonNull(host, "host");
      this.listenPort = port;
      return this;
    }

    public Builder withDefaultHost(String defaultHost) {
      this.defaultHost = defaultHost;
      return this;
    }

    /** Kept in the given order (the later of two equal names wins when merged). */
    public Builder withGlobalEnv(Map<String, String> globalEnv) {
      this.globalEnv = Collections.unmodifiableMap(new LinkedHashMap<>(globalEnv));
      return this;
    }

    public Builder withLogDir(Path logDir) {
      this.logDir = logDir;
      return this;
    }

    /** Null: compile every module at every start. */
    public Builder withModuleCache(Path moduleCache) {
      this.moduleCache = moduleCache;
      return this;
    }

    /** Null: none. */
    public Builder withRegistryCredentials(RegistryCredentials registryCredentials) {
      this.registryCredentials = registryCredentials;
      return this;
    }

    public Builder withConnections(ConnectionLimits connections) {
      this.connections = connections;
      return this;
    }

    public Builder withModules(List<ModuleConfig> modules) {
      this.modules = List.copyOf(modules);
      return this;
    }

    /** Null: plain HTTP. */
    public Builder withTls(TlsIdentity tls) {
      this.tls = tls;
      return this;
    }

    public Builder withTrustedProxies(TrustedProxies trustedProxies) {
      this.trustedProxies = Objects.requireNonNull(trustedProxies, "trustedProxies");
      return this;
    }

    public Builder withObservability(Observability observability) {
      this.observability = observability;
      return this;
    }

    public AppConfig build() {
      if (listenHost == null) {
        throw new IllegalStateException("no listen address");
      }
      return new AppConfig(
          configFile,
          listenHost,
          listenPort,
          Objects.requireNonNull(defaultHost, "defaultHost"),
          globalEnv,
          Objects.requireNonNull(logDir, "logDir"),
          moduleCache,
          registryCredentials,
          Objects.requireNonNull(connections, "connections"),
          modules,
          tls,
          trustedProxies,
          Objects.requireNonNull(observability, "observability"));
    }
  }
}
