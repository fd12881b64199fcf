package dev.jwagi.reload;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;

/**
 * Loads the configuration again, exactly as start-up did (the same flags, files read anew): what a
 * reload starts from.
 */
@FunctionalInterface
public interface ConfigSource {
  AppConfig load() throws ConfigException;
}
