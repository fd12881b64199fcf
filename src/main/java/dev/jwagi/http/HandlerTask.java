package dev.jwagi.http;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.observe.GuestOutcome;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A handler's run on a worker thread. Whatever happens it ends in a response: a handler that throws
 * (an OutOfMemoryError, a bug of ours: never the guest's doing) gets the client a 500 and the log
 * an error naming the route; one that returns without finishing its response, a 500 too.
 */
final class HandlerTask implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(HandlerTask.class);

  private final Exchange exchange;
  private final Handler handler;
  private final IncomingRequest request;
  private final ServerEvents events;

  HandlerTask(Exchange exchange, IncomingRequest request, ServerEvents events) {
    this.exchange = exchange;
    this.handler = exchange.route.handler();
    this.request = request;
    this.events = events;
  }

  @Override
  public void run() {
    String route = exchange.route.pattern().text();
    StreamingResponse response = exchange.response;
    long started = System.nanoTime();
    response.handlerStarted();
    try {
      handler.handle(request, response);
    } catch (Throwable t) {
      log.error("route {}: server error: {}", route, t.toString(), t);
      events.guestRun(route, GuestOutcome.SERVER_ERROR, 0, System.nanoTime() - started);
      response.fail(CgiResponse.serverFailed(), "server error: " + t);
    } finally {
      response.handlerReturned();
      exchange.body.close();
    }
  }
}
