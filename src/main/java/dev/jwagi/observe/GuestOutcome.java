package dev.jwagi.observe;

/** How a guest run ended, as counted in metrics. */
public enum GuestOutcome {
  /** Exit code 0 and well-formed output. */
  OK,
  /** A non-zero exit code. */
  EXIT_ERROR,
  /** A trap: unreachable, out-of-bounds access, stack exhausted, ... */
  TRAP,
  /** Stopped at its timeout. */
  TIMEOUT,
  /** Stopped because the client went away or the server stopped. */
  CANCELLED,
  /** Stopped for writing more than its output cap. */
  OUTPUT_LIMIT,
  /** Ended, but its output was not a valid CGI response. */
  BAD_OUTPUT,
  /** The server failed while running it (not the guest's fault): e.g. out of memory. */
  SERVER_ERROR
}
