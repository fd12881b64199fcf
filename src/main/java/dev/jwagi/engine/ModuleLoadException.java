package dev.jwagi.engine;

/** A module that cannot be served: unreadable, invalid, or asking for what jwagi cannot give. */
public final class ModuleLoadException extends Exception {
  public ModuleLoadException(String message) {
    super(message);
  }

  public ModuleLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
