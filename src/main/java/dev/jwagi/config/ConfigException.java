package dev.jwagi.config;

/** Bad configuration: the message names the file, the route and the key, and says what to fix. */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
