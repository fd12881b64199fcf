package dev.jwagi.cgi;

import java.util.Objects;

/**
 * The module's stdout is not a usable CGI response. {@link #getMessage()} is the reason, for the
 * operator's log; the client only sees the status that {@link #kind()} implies.
 */
public final class CgiOutputException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong, which decides the status the client gets. */
  public enum Kind {
    /** The output is not a well-formed CGI response: the client gets 502. */
    MALFORMED,
    /** Well-formed, but none of Content-Type, Location, Status: the client gets 500, as in WAGI. */
    NO_RESPONSE_HEADER
  }

  private final Kind kind;

  public CgiOutputException(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}
