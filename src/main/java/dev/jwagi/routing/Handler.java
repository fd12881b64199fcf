package dev.jwagi.routing;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;

/** Answers the requests of one route. */
public interface Handler {
  /** Whether handling runs guest code (and so may take long and must stay off the event loop). */
  boolean runsGuest();

  /** The largest request body this route accepts; a larger one gets 413 before anything runs. */
  long maxBodyBytes();

  /** Never throws: every failure becomes a response with the right status. */
  CgiResponse handle(IncomingRequest request);
}
