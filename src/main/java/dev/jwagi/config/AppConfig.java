package dev.jwagi.config;

import dev.jwagi.source.RegistryCredentials;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything jwagi serves with, validated: built once at start-up, never changed.
 *
 * @param defaultHost "host:port" for SERVER_NAME/SERVER_PORT when a request has no Host header
 * @param globalEnv -e and --env-file variables, in order, -e last (it wins)
 * @param moduleCache folder of compiled-module classes, or null to compile every start
 * @param registryCredentials for OCI registries that ask, or null
 * @param connections the server-wide limits on connections and guests in flight
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
    Observability observability) {}
