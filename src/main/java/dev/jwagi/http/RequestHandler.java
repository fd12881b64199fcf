package dev.jwagi.http;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.Header;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * One connection's requests: route, hand guest work to the workers, write responses in request
 * order (pipelined requests wait their turn; reading pauses meanwhile). All state is touched only
 * on the connection's event loop.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter {
  private final RoutingTable routes;
  private final ExecutorService workers;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private Future<?> running;

  RequestHandler(RoutingTable routes, ExecutorService workers) {
    this.routes = routes;
    this.workers = workers;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    waiting.add((FullHttpRequest) msg);
    if (running == null) {
      next(ctx);
    }
  }

  /** Starts the next waiting request; reads pause while one is in progress. */
  private void next(ChannelHandlerContext ctx) {
    FullHttpRequest request = waiting.poll();
    ctx.channel().config().setAutoRead(request == null);
    if (request == null) {
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = request.method().equals(HttpMethod.HEAD);
    if (!request.decoderResult().isSuccess()) {
      request.release();
      respond(ctx, CgiResponse.text(400, "Bad Request\n"), false, false);
      return;
    }
    IncomingRequest incoming;
    try {
      incoming = incoming(ctx, request);
    } finally {
      request.release();
    }
    Route route = routes.match(incoming.rawPath());
    if (route == null) {
      respond(ctx, CgiResponse.text(404, "Not Found\n"), keepAlive, head);
    } else if (!route.handler().runsGuest()) {
      respond(ctx, route.handler().handle(incoming), keepAlive, head);
    } else {
      try {
        running =
            workers.submit(
                () -> {
                  CgiResponse response = route.handler().handle(incoming);
                  ctx.executor().execute(() -> respond(ctx, response, keepAlive, head));
                });
      } catch (RejectedExecutionException e) {
        respond(ctx, CgiResponse.text(503, "Service Unavailable: shutting down\n"), false, head);
      }
    }
  }

  private void respond(
      ChannelHandlerContext ctx, CgiResponse response, boolean keepAlive, boolean head) {
    running = null;
    HttpResponseStatus status =
        response.reason() == null
            ? HttpResponseStatus.valueOf(response.status())
            : new HttpResponseStatus(response.status(), response.reason());
    FullHttpResponse http =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body()));
    for (Header header : response.headers()) {
      http.headers().add(header.name(), header.value());
    }
    http.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
    if (!ctx.channel().isActive()) {
      http.release();
      return;
    }
    if (keepAlive) {
      http.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(http);
      next(ctx);
    } else {
      http.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      waiting.forEach(FullHttpRequest::release);
      waiting.clear();
      ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** The client went away: stop its guest and drop what it had queued. */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (running != null) {
      running.cancel(true);
      running = null;
    }
    waiting.forEach(FullHttpRequest::release);
    waiting.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private static IncomingRequest incoming(ChannelHandlerContext ctx, FullHttpRequest request) {
    String target = request.uri();
    // An absolute-form target (proxies send them) carries scheme and authority first.
    if (target.startsWith("http://") || target.startsWith("https://")) {
      int slash = target.indexOf('/', target.indexOf("//") + 2);
      target = slash < 0 ? "/" : target.substring(slash);
    }
    int fragment = target.indexOf('#');
    if (fragment >= 0) {
      target = target.substring(0, fragment);
    }
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? null : target.substring(question + 1);
    List<Header> headers = new ArrayList<>(request.headers().size());
    for (Map.Entry<String, String> header : request.headers()) {
      headers.add(new Header(header.getKey(), header.getValue()));
    }
    InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
    return new IncomingRequest(
        request.method().name(),
        path,
        query,
        request.protocolVersion().text(),
        headers,
        ByteBufUtil.getBytes(request.content()),
        remote.getAddress().getHostAddress(),
        false);
  }
}
