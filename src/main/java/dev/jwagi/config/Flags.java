package dev.jwagi.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The raw values of jwagi's flags (WAGI's names), before validation. Null means "not given".
 *
 * @param portVariable the process's PORT environment variable (Knative sets it), or null
 */
public record Flags(
    Path configFile,
    String listen,
    String defaultHost,
    List<String> env,
    List<Path> envFiles,
    Path logDir,
    Path moduleCache,
    boolean noModuleCache,
    Path tlsCert,
    Path tlsKey,
    String timeout,
    String maxMemory,
    String maxBody,
    String maxOutput,
    String readTimeout,
    String idleTimeout,
    Integer maxConcurrency,
    Integer queue,
    String portVariable) {}
