package dev.jwagi.engine;

/**
 * A guest run that did not complete: it trapped, was interrupted (timeout or client gone) or wrote
 * more output than allowed. Carries the stderr written so far, for the operator's log.
 */
public final class GuestFailure extends Exception {
  /** Why the guest stopped. */
  public enum Kind {
    TRAP,
    INTERRUPTED,
    OUTPUT_LIMIT,
    /** No room in the server's memory budget for the guest's initial memory: not its fault. */
    OVER_BUDGET
  }

  private final Kind kind;
  private final byte[] stderr;

  public GuestFailure(Kind kind, String message, byte[] stderr, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
    this.stderr = stderr;
  }

  public Kind kind() {
    return kind;
  }

  public byte[] stderr() {
    return stderr;
  }
}
