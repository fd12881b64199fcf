package dev.jwagi.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One {@code [[module]]} table of modules.toml, validated and with paths resolved.
 *
 * @param where how to name this entry in messages, e.g. {@code modules.toml: [[module]] #2 (route
 *     "/foo")}
 * @param argvTemplate the {@code argv} key, or null for WAGI's default argv
 * @param volumes guest path → host directory
 * @param httpMaxConcurrency null when not set
 */
public record ModuleConfig(
    String where,
    String route,
    Path modulePath,
    String entrypoint,
    String argvTemplate,
    Map<String, Path> volumes,
    List<String> allowedHosts,
    Integer httpMaxConcurrency,
    Limits limits) {}
