package dev.jwagi.http;

import dev.jwagi.cgi.Header;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.observe.RequestRecord;
import dev.jwagi.routing.Route;
import io.netty.handler.codec.http.HttpRequest;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * One request and its response on a connection, from the first request bytes to the last response
 * byte. Touched on the connection's event loop only.
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

  /** What the handler sees of the request; {@code body} as it arrives; secure: over TLS. */
  IncomingRequest incoming(
      long contentLength, InputStream body, String client, int clientPort, boolean secure) {
    String authority = target.authority();
    List<Header> headers = new ArrayList<>(request.headers().size());
    for (Map.Entry<String, String> header : request.headers()) {
      if (authority != null && header.getKey().equalsIgnoreCase("Host")) {
        // RFC 9112 3.2.2: an absolute-form target's authority replaces the Host header.
        headers.add(new Header(header.getKey(), authority));
      } else {
        headers.add(new Header(header.getKey(), RequestTarget.wireText(header.getValue())));
      }
    }
    return new IncomingRequest(
        request.method().name(),
        target.path(),
        target.query(),
        request.protocolVersion().text(),
        headers,
        contentLength,
        body,
        client,
        clientPort,
        secure);
  }

  /** The access log's and metrics' view of this exchange, now that it is over. */
  RequestRecord record(String client, boolean complete) {
    return new RequestRecord(
        start == null ? Instant.now() : start,
        client,
        request.method().name(),
        target == null ? request.uri() : target.text(),
        request.protocolVersion().text(),
        route == null ? null : route.pattern().text(),
        response == null ? 0 : response.status(),
        received,
        response == null ? 0 : response.bytesOut(),
        System.nanoTime() - startNanos,
        response == null ? 0 : response.handlerNanos(),
        complete);
  }

  /** Stops the guest if one runs (the client is gone, or the response was settled without it). */
  void cancelGuest() {
    if (task != null) {
      task.cancel(true);
    }
  }
}
