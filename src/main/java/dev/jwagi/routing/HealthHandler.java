package dev.jwagi.routing;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.ResponseSink;

/** The built-in /healthz: 200 "OK", as in WAGI. */
final class HealthHandler implements Handler {
  static final String ROUTE = "/healthz";

  @Override
  public String toString() {
    return "built-in health check";
  }

  @Override
  public long maxBodyBytes() {
    return 0; // a health check reads nothing
  }

  @Override
  public boolean runsGuest() {
    return false;
  }

  @Override
  public void handle(IncomingRequest request, ResponseSink sink) {
    sink.respond(CgiResponse.text(200, "OK"));
  }
}
