package dev.jwagi.cgi;

import java.io.IOException;

/**
 * Where a response goes while it is being produced; the HTTP layer implements it. A handler calls,
 * from one thread and in this order: {@link #head} at most once, {@link #body} any number of times,
 * then exactly one of {@link #end}, {@link #fail} or {@link #respond}.
 *
 * <p>The HTTP layer holds the response back while it is small and fresh (README, "Streaming and
 * memory"): a handler that ends within that gets exactly the response it asked for, including a
 * {@link #fail}ure that replaces everything produced so far; past it, the head has been sent, and a
 * failure can only cut the response short.
 */
public interface ResponseSink {
  /** Status and headers (the response's body is ignored: it follows through {@link #body}). */
  void head(CgiResponse head);

  /** Body bytes, copied; blocks while the client is slower than the handler. */
  void body(byte[] bytes, int offset, int length) throws IOException;

  /** The response is complete. */
  void end();

  /**
   * The handler failed: {@code response} replaces what was produced, or, when the head has already
   * been sent, the response is cut short (the client sees an incomplete body), logged with {@code
   * cause}.
   */
  void fail(CgiResponse response, String cause);

  /** A whole response at once (built-in handlers, errors found before anything was produced). */
  default void respond(CgiResponse response) {
    fail(response, null);
  }
}
