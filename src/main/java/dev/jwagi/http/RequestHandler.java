package dev.jwagi.http;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.Header;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.config.ConnectionLimits;
import dev.jwagi.observe.RequestRecord;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One connection: reads each request (enforcing the route's body cap and the read timeout), hands
 * guest work to the workers, and writes responses in request order (pipelined requests wait their
 * turn). All fields are touched only on the connection's event loop.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter {
  /** Read no further ahead than this many complete requests. */
  private static final int MAX_WAITING = 8;

  private final RoutingTable routes;
  private final ExecutorService workers;
  private final ConnectionLimits limits;
  private final ServerEvents events;

  /** A request read completely (or rejected while reading), waiting for its turn. */
  private record Pending(
      IncomingRequest request,
      Route route,
      boolean keepAlive,
      boolean head,
      CgiResponse early,
      Exchange exchange) {}

  /** What the access log and metrics learn of a request while it is read. */
  private static final class Exchange {
    final Instant start = Instant.now();
    final long startNanos = System.nanoTime();
    String client = "-";
    String method = "-";
    String target = "-";
    String protocol = "-";
    String route;
    long bytesIn;
  }

  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private boolean answering;
  private Future<?> running;

  // The request being read, if any.
  private HttpRequest reading;
  private Route readingRoute;
  private ByteArrayOutputStream body;
  private boolean discarding;
  private ScheduledFuture<?> readTimer;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> idleTimer;
  private Exchange exchange;

  RequestHandler(
      RoutingTable routes, ExecutorService workers, ConnectionLimits limits, ServerEvents events) {
    this.routes = routes;
    this.workers = workers;
    this.limits = limits;
    this.events = events;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    armIdleTimer(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest) {
        startRequest(ctx, (HttpRequest) msg);
      }
      if (msg instanceof HttpContent) {
        addContent(ctx, (HttpContent) msg);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * The first bytes of a request arrived (called from before the HTTP decoder, which yields nothing
   * until the whole head is there): from now on the request must arrive within the read timeout,
   * head and body.
   */
  void bytesArrived() {
    ChannelHandlerContext ctx = this.ctx;
    if (readTimer == null && ctx != null) {
      exchange = new Exchange();
      if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
        exchange.client = remote.getAddress().getHostAddress();
      }
      cancel(idleTimer);
      readTimer =
          ctx.executor()
              .schedule(
                  () -> readTimedOut(ctx), limits.readTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void startRequest(ChannelHandlerContext ctx, HttpRequest request) {
    bytesArrived();
    reading = request;
    body = new ByteArrayOutputStream();
    discarding = false;
    exchange.method = request.method().name();
    exchange.target = wireText(request.uri());
    exchange.protocol = request.protocolVersion().text();
    if (!request.decoderResult().isSuccess()) {
      reject(ctx, CgiResponse.text(400, "Bad Request: malformed HTTP request\n"));
      return;
    }
    if (request.headers().getAll(HttpHeaderNames.HOST).size() > 1) {
      reject(ctx, CgiResponse.text(400, "Bad Request: more than one Host header\n"));
      return;
    }
    readingRoute = routes.match(pathOf(wireText(request.uri())));
    exchange.route = readingRoute == null ? null : readingRoute.pattern().text();
    if (readingRoute == null) {
      discarding = true; // a 404 needs no body
      return;
    }
    long maxBody = readingRoute.handler().maxBodyBytes();
    if (HttpUtil.getContentLength(request, -1L) > maxBody) {
      reject(ctx, tooLarge(maxBody));
      return;
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
  }

  private void addContent(ChannelHandlerContext ctx, HttpContent content) {
    if (reading == null) {
      return; // the rest of a request already answered
    }
    if (!content.decoderResult().isSuccess()) {
      reject(ctx, CgiResponse.text(400, "Bad Request: malformed HTTP request\n"));
      return;
    }
    if (!discarding) {
      long maxBody = readingRoute.handler().maxBodyBytes();
      int size = content.content().readableBytes();
      if (body.size() + (long) size > maxBody) {
        reject(ctx, tooLarge(maxBody));
        return;
      }
      exchange.bytesIn += size;
      try {
        content.content().readBytes(body, size);
      } catch (IOException e) {
        throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
      }
    }
    if (content instanceof LastHttpContent) {
      stopReadTimer();
      HttpRequest request = reading;
      boolean head = request.method().equals(HttpMethod.HEAD);
      waiting.add(
          readingRoute == null
              ? new Pending(
                  null,
                  null,
                  HttpUtil.isKeepAlive(request),
                  head,
                  CgiResponse.text(404, "Not Found\n"),
                  exchange)
              : new Pending(
                  incoming(ctx, request, body.toByteArray()),
                  readingRoute,
                  HttpUtil.isKeepAlive(request),
                  head,
                  null,
                  exchange));
      reading = null;
      body = null;
      if (waiting.size() >= MAX_WAITING) {
        ctx.channel().config().setAutoRead(false);
      }
      answerNext(ctx);
    }
  }

  /** Answers the request being read with an error at its turn, then closes the connection. */
  private void reject(ChannelHandlerContext ctx, CgiResponse response) {
    stopReadTimer();
    boolean head = reading != null && reading.method().equals(HttpMethod.HEAD);
    reading = null;
    body = null;
    ctx.channel().config().setAutoRead(false); // nothing more is read from this connection
    waiting.add(new Pending(null, null, false, head, response, exchange));
    answerNext(ctx);
  }

  private void readTimedOut(ChannelHandlerContext ctx) {
    readTimer = null;
    reject(ctx, CgiResponse.text(408, "Request Timeout\n"));
  }

  private static CgiResponse tooLarge(long maxBody) {
    return CgiResponse.text(
        413, "Payload Too Large: this route accepts at most " + maxBody + " bytes\n");
  }

  private void answerNext(ChannelHandlerContext ctx) {
    if (answering) {
      return;
    }
    Pending next = waiting.poll();
    if (next == null) {
      ctx.channel().config().setAutoRead(true);
      if (reading == null) {
        armIdleTimer(ctx);
      }
      return;
    }
    answering = true;
    if (next.early() != null) {
      respond(ctx, next, next.early());
    } else if (!next.route().handler().runsGuest()) {
      respond(ctx, next, next.route().handler().handle(next.request()));
    } else {
      try {
        running =
            workers.submit(
                () -> {
                  long started = System.nanoTime();
                  CgiResponse response = next.route().handler().handle(next.request());
                  long guestNanos = System.nanoTime() - started;
                  ctx.executor().execute(() -> respond(ctx, next, response, guestNanos));
                });
      } catch (RejectedExecutionException e) {
        boolean stopping = workers.isShutdown();
        if (!stopping) {
          events.backpressure(next.route().pattern().text());
        }
        respond(
            ctx,
            stopping ? new Pending(null, null, false, next.head(), null, next.exchange()) : next,
            CgiResponse.retryLater(
                stopping
                    ? "Service Unavailable: the server is shutting down; retry\n"
                    : "Service Unavailable: too many requests in progress; retry shortly\n"));
      }
    }
  }

  private void respond(ChannelHandlerContext ctx, Pending pending, CgiResponse response) {
    respond(ctx, pending, response, 0);
  }

  private void respond(
      ChannelHandlerContext ctx, Pending pending, CgiResponse response, long guestNanos) {
    answering = false;
    running = null;
    boolean active = ctx.channel().isActive();
    // Reported before the write, so whoever gets the response sees it counted.
    report(pending, response, guestNanos, active);
    if (!active) {
      return;
    }
    FullHttpResponse http = toHttp(response, pending.head());
    if (pending.keepAlive()) {
      // HTTP/1.0 clients (ab -k) keep the connection only when told so.
      http.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(http);
      answerNext(ctx);
    } else {
      http.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      waiting.clear();
      ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void report(Pending pending, CgiResponse response, long guestNanos, boolean sent) {
    Exchange seen = pending.exchange();
    if (seen == null) {
      return;
    }
    events.requestDone(
        new RequestRecord(
            seen.start,
            seen.client,
            seen.method,
            seen.target,
            seen.protocol,
            seen.route,
            response.status(),
            seen.bytesIn,
            sent && !pending.head() ? response.body().length : 0,
            System.nanoTime() - seen.startNanos,
            guestNanos,
            sent));
  }

  private static FullHttpResponse toHttp(CgiResponse response, boolean head) {
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
    return http;
  }

  private void armIdleTimer(ChannelHandlerContext ctx) {
    cancel(idleTimer);
    idleTimer =
        ctx.executor()
            .schedule(
                () -> {
                  if (reading == null && !answering && waiting.isEmpty()) {
                    ctx.close();
                  }
                },
                limits.idleTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
  }

  /** The client went away: stop its guest and drop what it had queued. */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (running != null) {
      running.cancel(true);
      running = null;
    }
    stopReadTimer();
    cancel(idleTimer);
    waiting.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private static void cancel(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private void stopReadTimer() {
    cancel(readTimer);
    readTimer = null;
  }

  /** The path of a request target, still percent-encoded. */
  private static String pathOf(String target) {
    // An absolute-form target (proxies send them) carries scheme and authority first.
    if (target.startsWith("http://") || target.startsWith("https://")) {
      int slash = target.indexOf('/', target.indexOf("//") + 2);
      target = slash < 0 ? "/" : target.substring(slash);
    }
    int end = target.length();
    for (char stop : new char[] {'?', '#'}) {
      int at = target.indexOf(stop);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    return target.substring(0, end);
  }

  private static IncomingRequest incoming(
      ChannelHandlerContext ctx, HttpRequest request, byte[] body) {
    String target = wireText(request.uri());
    String path = pathOf(target);
    int question = target.indexOf('?');
    String query = null;
    if (question >= 0) {
      int fragment = target.indexOf('#', question);
      query = target.substring(question + 1, fragment < 0 ? target.length() : fragment);
    }
    String authority = absoluteFormAuthority(target);
    List<Header> headers = new ArrayList<>(request.headers().size());
    for (Map.Entry<String, String> header : request.headers()) {
      if (authority != null && header.getKey().equalsIgnoreCase("Host")) {
        // RFC 9112 3.2.2: an absolute-form target's authority replaces the Host header.
        headers.add(new Header(header.getKey(), authority));
      } else {
        headers.add(new Header(header.getKey(), wireText(header.getValue())));
      }
    }
    InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
    return new IncomingRequest(
        request.method().name(),
        path,
        query,
        request.protocolVersion().text(),
        headers,
        body,
        remote.getAddress().getHostAddress(),
        ctx.pipeline().get(SslHandler.class) != null);
  }

  /** For "http://host:port/path": "host:port"; null for an origin-form target. */
  private static String absoluteFormAuthority(String target) {
    if (!target.startsWith("http://") && !target.startsWith("https://")) {
      return null;
    }
    int start = target.indexOf("//") + 2;
    int end = start;
    while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
      end++;
    }
    return target.substring(start, end);
  }

  /**
   * Netty reads header and request-line bytes as ISO-8859-1, one char per byte; guests get text as
   * UTF-8. Bytes that form valid UTF-8 (what clients send) are decoded as such, so they reach the
   * guest unchanged; anything else keeps Netty's one-char-per-byte reading.
   */
  static String wireText(String latin1) {
    for (int i = 0; i < latin1.length(); i++) {
      if (latin1.charAt(i) >= 0x80) {
        try {
          return StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1)))
              .toString();
        } catch (CharacterCodingException e) {
          return latin1;
        }
      }
    }
    return latin1;
  }
}
