package dev.jwagi.routing;

import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.ResponseSink;

/** Answers the requests of one route. */
public interface Handler {
  /** Whether handling runs guest code (and so may take long and must stay off the event loop). */
  boolean runsGuest();

  /** The largest request body this route accepts; a larger one gets 413 before anything runs. */
  long maxBodyBytes();

  /**
   * Answers {@code request} into {@code sink} (ending it with end, fail or respond), reading the
   * request body as it arrives. Guest failures become responses with the right status; anything
   * else thrown is the server's failure, which the caller answers.
   */
  void handle(IncomingRequest request, ResponseSink sink);
}
