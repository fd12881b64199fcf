package dev.jwagi.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A configuration file as its reader read it (modules.toml by {@link ModulesTomlReader}): what
 * {@link ConfigLoader} joins with the flags into an {@link AppConfig}.
 *
 * @param path the file, absolute
 * @param defaultHost the file's own default host ("host:port"), or null where it gives none
 * @param modules the routes, in file order
 */
record ConfigFile(Path path, String defaultHost, List<ModuleConfig> modules) {}
