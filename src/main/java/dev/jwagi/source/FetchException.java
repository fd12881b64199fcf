package dev.jwagi.source;

/** A module's bytes could not be got; the message says why, fit to follow the module's name. */
public final class FetchException extends Exception {
  private static final long serialVersionUID = 1L;

  public FetchException(String message) {
    super(message);
  }

  public FetchException(String message, Throwable cause) {
    super(message, cause);
  }
}
