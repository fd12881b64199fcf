package dev.jwagi.http;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.Header;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** CgiResponse → HTTP: the status line and headers, framing (length or chunked) and Connection. */
final class HttpResponses {
  private HttpResponses() {}

  /** A whole response: its body is {@code body} (empty for HEAD), its length known. */
  static FullHttpResponse whole(
      CgiResponse response, ByteBuf body, long length, boolean headRequest, boolean keepAlive) {
    FullHttpResponse http =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status(response), headRequest ? Unpooled.EMPTY_BUFFER : body);
    if (headRequest) {
      body.release();
    }
    copyHeaders(response, http.headers());
    http.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    connection(http, keepAlive);
    return http;
  }

  /** A whole response from a CgiResponse's own body. */
  static FullHttpResponse whole(CgiResponse response, boolean headRequest, boolean keepAlive) {
    return whole(
        response,
        Unpooled.wrappedBuffer(response.body()),
        response.body().length,
        headRequest,
        keepAlive);
  }

  /**
   * The head of a response whose body follows in pieces: chunked, or, where the client cannot take
   * chunks (HTTP/1.0), delimited by closing the connection (then {@code keepAlive} must be false).
   */
  static HttpResponse streamed(CgiResponse response, boolean chunked, boolean keepAlive) {
    HttpResponse http = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status(response));
    copyHeaders(response, http.headers());
    if (chunked) {
      HttpUtil.setTransferEncodingChunked(http, true);
    }
    connection(http, keepAlive);
    return http;
  }

  private static HttpResponseStatus status(CgiResponse response) {
    return response.reason() == null
        ? HttpResponseStatus.valueOf(response.status())
        : new HttpResponseStatus(response.status(), response.reason());
  }

  private static void copyHeaders(CgiResponse response, HttpHeaders headers) {
    for (Header header : response.headers()) {
      headers.add(header.name(), header.value());
    }
  }

  private static void connection(HttpResponse http, boolean keepAlive) {
    // HTTP/1.0 clients (ab -k) keep the connection only when told so.
    http.headers()
        .set(
            HttpHeaderNames.CONNECTION,
            keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
  }
}
