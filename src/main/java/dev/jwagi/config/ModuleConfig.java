package dev.jwagi.config;

import dev.jwagi.source.ModuleSource;
import java.nio.file.Path;
import java.util.Map;

/**
 * One {@code [[module]]} table of modules.toml, validated and with paths resolved.
 *
 * @param where how to name this entry in messages, e.g. {@code modules.toml: [[module]] #2 (route
 *     "/foo")}
 * @param source where the module's bytes come from (a file, an https:// URL, an OCI reference)
 * @param argvTemplate the {@code argv} key, or null for WAGI's default argv
 * @param volumes guest path → host directory
 * @param environment the module's own variables ({@code environment}): after the global env, before
 *     the CGI variables
 * @param allowedHosts where the module's outbound HTTP requests may go (none: nowhere)
 * @param httpMaxConcurrency WAGI's limit on a guest's open outbound HTTP responses; null: none
 * @param maxConcurrency guests of this route running at once (beyond: 503); null: no own limit
 */
public record ModuleConfig(
    String where,
    RoutePattern route,
    ModuleSource source,
    String entrypoint,
    String argvTemplate,
    Map<String, Path> volumes,
    Map<String, String> environment,
    AllowedHosts allowedHosts,
    Integer httpMaxConcurrency,
    Integer maxConcurrency,
    Limits limits) {}
