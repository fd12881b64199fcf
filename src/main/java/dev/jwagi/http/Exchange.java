package dev.jwagi.http;

import dev.jwagi.routing.Route;
import io.netty.handler.codec.http.HttpRequest;
import java.time.Instant;
import java.util.concurrent.Future;

/**
 * One request and its response on a connection, from the first request bytes to the last response
 * byte. Touched on the connection's event loop, except {@link #guestNanos} (set by the worker).
 */
final class Exchange {
  final HttpRequest request;
  final Instant start;
  final long startNanos;
  RequestTarget target;
  Route route;

  /** Body cap of the route; 0 without a route (the body is read and dropped). */
  long maxBody;

  /** The guest's stdin; null when no guest reads the body. */
  RequestBody body;

  StreamingResponse response;

  /** Body bytes received so far. */
  long received;

  boolean bodyDone;
  boolean dispatched;
  Future<?> task;
  volatile long guestNanos;
  boolean reported;

  /** Bytes of the memory budget held for this exchange's buffers. */
  long reserved;

  Exchange(HttpRequest request, Instant start, long startNanos) {
    this.request = request;
    this.start = start;
    this.startNanos = startNanos;
  }

  boolean headRequest() {
    return "HEAD".equals(request.method().name());
  }

  /** Stops the guest if one runs (the client is gone, or the response was settled without it). */
  void cancelGuest() {
    if (task != null) {
      task.cancel(true);
    }
  }
}
