package dev.jwagi.routing;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.ResponseSink;

/** The built-in /readyz: 200 while serving, 503 from the moment a drain begins. */
final class ReadyHandler implements Handler {
  static final String ROUTE = "/readyz";

  private final Readiness readiness;

  ReadyHandler(Readiness readiness) {
    this.readiness = readiness;
  }

  @Override
  public String toString() {
    return "built-in readiness check";
  }

  @Override
  public long maxBodyBytes() {
    return 0;
  }

  @Override
  public boolean runsGuest() {
    return false;
  }

  @Override
  public void handle(IncomingRequest request, ResponseSink sink) {
    sink.respond(
        readiness.draining()
            ? CgiResponse.text(503, "draining\n")
            : CgiResponse.text(200, "ready\n"));
  }
}
