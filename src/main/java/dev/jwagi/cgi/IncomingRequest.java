package dev.jwagi.cgi;

import java.io.InputStream;
import java.util.List;
import java.util.Objects;

/**
 * What the cgi layer needs of an HTTP request, independent of the HTTP library.
 *
 * @param method e.g. {@code GET}
 * @param rawPath path part of the request target, still percent-encoded, e.g. {@code /env/a%20b}
 * @param rawQuery part after '?', raw, or null if the target had no '?'
 * @param protocol e.g. {@code HTTP/1.1}
 * @param headers in arrival order, names as received
 * @param contentLength the body's length in bytes, or -1 when not known in advance (a chunked body
 *     larger than what is held before the guest starts)
 * @param body the request body as it arrives (may block; ends with -1, or an IOException when the
 *     body breaks off or crosses the route's cap)
 * @param remoteAddress client IP, e.g. {@code 127.0.0.1}
 * @param remotePort the client's port (Spin's X_CLIENT_ADDR), 0 if unknown
 * @param secure true when the connection is TLS
 */
public record IncomingRequest(
    String method,
    String rawPath,
    String rawQuery,
    String protocol,
    List<Header> headers,
    long contentLength,
    InputStream body,
    String remoteAddress,
    int remotePort,
    boolean secure) {
  public IncomingRequest {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(rawPath, "rawPath");
    Objects.requireNonNull(protocol, "protocol");
    headers = List.copyOf(headers);
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(remoteAddress, "remoteAddress");
  }
}
