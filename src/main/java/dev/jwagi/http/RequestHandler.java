package dev.jwagi.http;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.config.ConnectionLimits;
import dev.jwagi.memory.MemoryBudget;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Handler;
import dev.jwagi.routing.Readiness;
import dev.jwagi.routing.ServingTable;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection: reads each request (the route's body cap, the read timeout), streams its body to
 * the guest on a worker ({@link RequestBody}: the body is always read on, spooled beyond a small
 * window), streams the response back ({@link StreamingResponse}), and answers pipelined requests in
 * order: one request at a time, input that arrives early is held (reading pauses) until the request
 * before is answered and its response has left for the socket (pipelining is bounded by the bytes
 * queued, not by a count). A client that stops reading a waiting response is cut off after the
 * write timeout; a connection the server closes while the client still sends is closed lingering.
 * All fields are touched only on the event loop.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter implements StreamingResponse.Done {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

  /**
   * Memory a request running a guest may hold, charged to the budget while it is in flight: its
   * body buffer, its output buffer, and a socket read or write beyond each.
   */
  static final long BUFFERS_PER_REQUEST =
      RequestBody.WINDOW + StreamingResponse.CAPACITY + 2 * 64 * 1024;

  /**
   * Netty's HTTP codec refuses (and the connection closed silently) more requests in flight than
   * this: as many as one socket read can hold, since nothing more is read while requests are held.
   */
  static final int MAX_PIPELINE_DEPTH = 1 << 16;

  /** How long a body waits for room in a full spool before the request gets 503. */
  static final long SPOOL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final long SPOOL_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /**
   * Lingering close: when the server closes a connection while the client may still be sending (an
   * answer before the whole body: 413, 503, a guest that did not read it), it stops writing, then
   * reads and drops the rest for up to this long and this many bytes before it closes, so that the
   * client reads the answer instead of a reset (as nginx's lingering_close).
   */
  static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(5);

  static final long LINGER_BYTES = 64L << 20;

  private static final CgiResponse NO_ROOM_FOR_BODY =
      CgiResponse.retryLater(
          "Service Unavailable: no room to hold the request body now; retry shortly\n");

  /**
   * While draining, an idle connection is closed after this long without a request. A client that
   * sends just as it closes sees a reset (HTTP clients retry that, DrainIT's does not): long enough
   * for a client stalled on a busy machine (at 500 ms DrainIT lost a request about once in 25
   * runs), short beside Knative's termination grace.
   */
  static final long DRAIN_QUIET_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** Read once per request: a keep-alive connection takes each request to the current table. */
  private final ServingTable routes;

  private final Workers workers;
  private final ConnectionLimits limits;
  private final ServerEvents events;
  private final MemoryBudget budget;
  private final Readiness readiness;
  private final Spool spool;

  private ChannelHandlerContext ctx;

  /** The request being read or answered, or null. */
  private Exchange current;

  /** Pipelined input that arrived while {@link #current} was being answered, in order. */
  private final ArrayDeque<Object> held = new ArrayDeque<>();

  /** The connection closes once the current response is out; nothing more is read. */
  private boolean closing;

  private boolean draining;
  private ReadTimer readTimer;
  private WriteTimer writeTimer;
  private ScheduledFuture<?> idleTimer;
  private String clientAddress;

  /** The route of the latest request, for log lines about the connection. */
  private String lastRoute;

  /** While a body waits for room in the spool: since when (System.nanoTime), and the retry. */
  private long spoolWaitStart;

  private ScheduledFuture<?> spoolRetry;

  /** Closing lingering: input is read and dropped, up to {@link #LINGER_BYTES}. */
  private boolean lingering;

  private long lingered;

  RequestHandler(
      ServingTable routes,
      Workers workers,
      ConnectionLimits limits,
      Spool spool,
      ServerEvents events,
      MemoryBudget budget,
      Readiness readiness) {
    this.routes = routes;
    this.workers = workers;
    this.limits = limits;
    this.spool = spool;
    this.events = events;
    this.budget = budget;
    this.readiness = readiness;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.readTimer = new ReadTimer(ctx, limits.readTimeout().toNanos(), this::readTimedOut);
    this.writeTimer =
        new WriteTimer(
            ctx, limits.writeTimeout().toNanos(), this::pendingBytes, this::writeTimedOut);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (readiness.draining()) {
      drain();
    } else {
      armIdleTimer();
    }
    ctx.fireChannelActive();
  }

  // --- reading requests, in order ---

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!held.isEmpty()
        || (current != null && current.bodyDone)
        || (current == null && !ctx.channel().isWritable())) {
      // A pipelined request: its turn comes when the one before is answered and its response has
      // left for the socket.
      held.add(msg);
      updateReading();
      return;
    }
    process(msg);
    updateReading();
  }

  private void process(Object msg) {
    try {
      if (msg instanceof HttpRequest request) {
        startRequest(request);
      }
      if (msg instanceof HttpContent content && current != null) {
        addContent(current, content);
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
  void bytesArrived(int bytes) {
    if (lingering) {
      lingered += bytes;
      if (lingered > LINGER_BYTES) {
        ctx.close();
      }
      return;
    }
    if (readTimer != null
        && !readTimer.running()
        && current == null
        && held.isEmpty()
        && !closing) {
      startReadTimer();
    }
  }

  private void startReadTimer() {
    cancel(idleTimer);
    readTimer.start();
  }

  private void startRequest(HttpRequest request) {
    if (!readTimer.running()) {
      startReadTimer(); // a pipelined request, held until now
    }
    Exchange x = new Exchange(request, readTimer.startedAt(), readTimer.startNanos());
    current = x;
    boolean keepAlive = HttpUtil.isKeepAlive(request) && !draining;
    boolean http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
    if (!request.decoderResult().isSuccess()) {
      x.response = new StreamingResponse(ctx, null, false, http11, false, this);
      settle(x, CgiResponse.text(400, "Bad Request: malformed HTTP request\n"), "malformed");
      return;
    }
    x.target = RequestTarget.parse(request.uri());
    if (request.headers().getAll(HttpHeaderNames.HOST).size() > 1) {
      x.response = new StreamingResponse(ctx, null, x.headRequest(), http11, false, this);
      settle(x, CgiResponse.text(400, "Bad Request: more than one Host header\n"), "two Hosts");
      return;
    }
    x.route = routes.current().match(x.target.path());
    lastRoute = x.route == null ? null : x.route.pattern().text();
    x.response =
        new StreamingResponse(
            ctx,
            x.route == null ? null : x.route.pattern().text(),
            x.headRequest(),
            http11,
            keepAlive,
            this);
    if (x.route == null) {
      x.response.respond(CgiResponse.text(404, "Not Found\n")); // its body is read and dropped
      return;
    }
    Handler handler = x.route.handler();
    x.maxBody = handler.maxBodyBytes();
    long contentLength = HttpUtil.getContentLength(request, -1L);
    if (contentLength > x.maxBody) {
      settle(x, tooLarge(x.maxBody), "request body over its cap");
      return;
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    if (!handler.runsGuest()) {
      try {
        handler.handle(
            x.incoming(
                0, java.io.InputStream.nullInputStream(), clientAddress(), clientPort(), secure()),
            x.response);
      } catch (RuntimeException e) {
        serverError(x, e);
      }
      return;
    }
    x.body = new RequestBody(spool, () -> ctx.executor().execute(this::bodyDrained));
    if (!HttpUtil.isTransferEncodingChunked(request)) {
      dispatch(x, Math.max(contentLength, 0));
    }
    // A chunked body is held until it ends or fills the buffer, so a small one has a length.
  }

  private void addContent(Exchange x, HttpContent content) {
    if (x.bodyDone) {
      return;
    }
    if (!content.decoderResult().isSuccess()) {
      settle(x, CgiResponse.text(400, "Bad Request: malformed HTTP request\n"), "malformed body");
      return;
    }
    int n = content.content().readableBytes();
    x.received += n;
    if (x.route != null && x.received > x.maxBody) {
      settle(x, tooLarge(x.maxBody), "request body over its cap of " + x.maxBody + " bytes");
      return;
    }
    if (x.body != null) {
      try {
        x.body.add(content.content());
      } catch (java.io.IOException e) {
        log.warn("route {}: cannot spool the request body: {}", lastRoute, e.toString());
        settle(x, NO_ROOM_FOR_BODY, "cannot spool the request body: " + e);
        return;
      }
    }
    if (content instanceof LastHttpContent) {
      x.bodyDone = true;
      readTimer.stop();
      if (x.body != null) {
        x.body.end();
        if (!x.dispatched) {
          dispatch(x, x.received);
        }
      }
      if (x.response.finished()) {
        exchangeDone(x);
      }
    } else if (x.body != null && !x.dispatched && x.body.pastWindow()) {
      dispatch(x, -1); // a chunked body too long to hold: the guest reads it as it comes
    }
  }

  private void bodyDrained() {
    if (ctx.channel().isActive()) {
      replayHeld();
      updateReading();
    }
  }

  /**
   * Goes on with held input as far as the current request can take it; a new request starts only
   * once the responses before it have left for the socket (the channel is writable).
   */
  private void replayHeld() {
    while (!held.isEmpty() && !closing) {
      if (current == null
          ? !ctx.channel().isWritable()
          : current.bodyDone || (current.body != null && current.body.isPaused())) {
        return;
      }
      process(held.poll());
    }
  }

  /**
   * Reads from the socket while there is room: no held input, and a body that the spool can take.
   * While a full spool pauses a body, the read timeout pauses too (the client is not the slow one)
   * and the body waits up to {@link #SPOOL_WAIT_NANOS} for room, then gets 503.
   */
  private void updateReading() {
    if (lingering) {
      return;
    }
    boolean paused = current != null && current.body != null && current.body.isPaused();
    if (paused) {
      readTimer.pause();
      if (spoolRetry == null) {
        spoolWaitStart = System.nanoTime();
        spoolRetry = ctx.executor().schedule(this::retrySpool, SPOOL_RETRY_NANOS, NANOSECONDS);
      }
    } else {
      readTimer.resume();
      cancel(spoolRetry);
      spoolRetry = null;
    }
    ctx.channel().config().setAutoRead(!closing && held.isEmpty() && !paused);
  }

  private void retrySpool() {
    spoolRetry = null;
    Exchange x = current;
    if (x == null || x.body == null || !x.body.isPaused() || closing) {
      return;
    }
    if (x.body.retrySpool()) {
      replayHeld();
      updateReading();
    } else if (System.nanoTime() - spoolWaitStart >= SPOOL_WAIT_NANOS) {
      log.warn(
          "route {}: the request body spool is full (--max-spool): answered 503",
          x.route.pattern().text());
      events.backpressure(x.route.pattern().text());
      settle(x, NO_ROOM_FOR_BODY, "request body spool full");
    } else {
      spoolRetry = ctx.executor().schedule(this::retrySpool, SPOOL_RETRY_NANOS, NANOSECONDS);
    }
  }

  // --- running the handler ---

  private void dispatch(Exchange x, long contentLength) {
    x.dispatched = true;
    if (!budget.tryReserve(BUFFERS_PER_REQUEST)) {
      x.body.close();
      events.backpressure(x.route.pattern().text());
      x.response.respond(CgiResponse.overBudget());
      return;
    }
    x.reserved = BUFFERS_PER_REQUEST;
    String route = x.route.pattern().text();
    try {
      x.task =
          workers.submit(
              route,
              new HandlerTask(
                  x,
                  x.incoming(contentLength, x.body, clientAddress(), clientPort(), secure()),
                  events));
      x.response.start();
    } catch (RejectedExecutionException e) {
      x.body.close();
      if (workers.isShutdown()) {
        x.response.closeAfter();
        x.response.respond(
            CgiResponse.retryLater("Service Unavailable: the server is shutting down; retry\n"));
      } else {
        events.backpressure(route);
        x.response.respond(
            CgiResponse.retryLater(
                "Service Unavailable: too many requests in progress; retry shortly\n"));
      }
    }
  }

  /** A built-in handler (run on the event loop) threw. */
  private void serverError(Exchange x, Throwable t) {
    String route = x.route == null ? null : x.route.pattern().text();
    log.error("route {}: server error: {}", route, t.toString(), t);
    x.response.fail(CgiResponse.serverFailed(), "server error: " + t);
  }

  /**
   * Ends the exchange with {@code response} (or cuts what was sent), closes the connection after it
   * and stops the guest: the request cannot be read on (malformed, too large, too slow).
   */
  private void settle(Exchange x, CgiResponse response, String cause) {
    closing = true;
    readTimer.stop();
    if (x.body != null) {
      x.body.fail(cause);
    }
    x.cancelGuest();
    if (x.response.finished()) {
      // Answered already; the rest of its body is not read on (over the cap, or too slow).
      ChannelFuture last = x.response.lastWrite();
      closeAfter(last == null ? ctx.newSucceededFuture() : last);
    } else {
      x.response.replace(response, cause);
    }
  }

  private static CgiResponse tooLarge(long maxBody) {
    return CgiResponse.text(
        413, "Payload Too Large: this route accepts at most " + maxBody + " bytes\n");
  }

  private void readTimedOut() {
    if (current == null) {
      // The head never completed: answer 408 on its own.
      closing = true;
      Exchange x =
          new Exchange(
              new io.netty.handler.codec.http.DefaultHttpRequest(
                  HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET, "/"),
              readTimer.startedAt(),
              readTimer.startNanos());
      current = x;
      x.response = new StreamingResponse(ctx, null, false, true, false, this);
      x.response.replace(CgiResponse.text(408, "Request Timeout\n"), "read timeout");
    } else if (!current.bodyDone) {
      settle(current, CgiResponse.text(408, "Request Timeout\n"), "request body too slow");
    }
  }

  // --- responses done: the next request's turn ---

  @Override
  public void responseFinishing(StreamingResponse response) {
    if (current != null && current.response == response) {
      report(current, true);
    }
  }

  /**
   * Closes the connection once {@code written} is out: lingering if the client may still be sending
   * (a body not read whole, requests held), else at once.
   */
  @Override
  public void closeAfter(ChannelFuture written) {
    boolean unread = current == null || !current.bodyDone || !held.isEmpty();
    written.addListener(
        f -> {
          if (unread && f.isSuccess()) {
            linger();
          } else {
            ctx.close();
          }
        });
  }

  private void linger() {
    if (lingering || !ctx.channel().isActive()) {
      return;
    }
    lingering = true;
    closing = true;
    readTimer.stop();
    cancel(idleTimer);
    for (Object msg : held) {
      ReferenceCountUtil.release(msg);
    }
    held.clear();
    if (ctx.channel() instanceof DuplexChannel duplex && !secure()) {
      duplex.shutdownOutput(); // the client reads to the end of what was sent, then sees EOF
    }
    ctx.channel().config().setAutoRead(true);
    idleTimer = ctx.executor().schedule(() -> ctx.close(), LINGER_NANOS, NANOSECONDS);
  }

  @Override
  public void responseDone(StreamingResponse response) {
    Exchange x = current;
    if (x == null || x.response != response) {
      return;
    }
    if (!response.keepAlive()) {
      closing = true;
    }
    if (x.body != null && !x.bodyDone) {
      x.body.close(); // the rest of the body is read and dropped
    }
    if (x.bodyDone || closing) {
      exchangeDone(x);
    }
  }

  private void exchangeDone(Exchange x) {
    report(x, x.response.complete());
    // Its buffers stay charged until the response's last bytes have left for the socket.
    ChannelFuture last = x.response.lastWrite();
    if (x.reserved > 0 && last != null && !last.isDone()) {
      last.addListener(f -> releaseBuffers(x));
    } else {
      releaseBuffers(x);
    }
    current = null;
    readTimer.stop();
    if (closing) {
      return;
    }
    replayHeld();
    if (current == null) {
      if (draining) {
        armQuietClose();
      } else {
        armIdleTimer();
      }
    }
    updateReading();
  }

  private void releaseBuffers(Exchange x) {
    if (x.reserved > 0) {
      budget.release(x.reserved);
      x.reserved = 0;
    }
  }

  private void report(Exchange x, boolean complete) {
    if (!x.reported) {
      x.reported = true;
      events.requestDone(x.record(clientAddress(), complete));
    }
  }

  // --- timers, drain, the end of the connection ---

  private void armIdleTimer() {
    cancel(idleTimer);
    idleTimer =
        ctx.executor()
            .schedule(this::closeIfIdle, limits.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  private void armQuietClose() {
    cancel(idleTimer);
    idleTimer = ctx.executor().schedule(this::closeIfIdle, DRAIN_QUIET_NANOS, TimeUnit.NANOSECONDS);
  }

  private void closeIfIdle() {
    if (current == null && held.isEmpty() && !readTimer.running()) {
      ctx.close();
    }
  }

  /**
   * The server drains (on the event loop): every response from now on says Connection: close and
   * closes the connection; an idle connection closes after a short quiet period.
   */
  void drain() {
    draining = true;
    if (current != null) {
      current.response.closeAfter();
    } else if (held.isEmpty() && !readTimer.running()) {
      armQuietClose();
    }
  }

  /** The client went away: stop its guest and drop what it had sent. */
  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange x = current;
    if (x != null) {
      if (x.body != null) {
        x.body.fail("the connection closed");
      }
      if (x.response != null) {
        x.response.clientGone();
      }
      x.cancelGuest();
      report(x, false);
      releaseBuffers(x);
      current = null;
    }
    closing = true;
    readTimer.stop();
    writeTimer.stop();
    cancel(idleTimer);
    cancel(spoolRetry);
    for (Object msg : held) {
      ReferenceCountUtil.release(msg);
    }
    held.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      writeTimer.stop();
    } else {
      writeTimer.watch();
    }
    if (current != null && current.response != null) {
      current.response.writabilityChanged();
    }
    if (current == null && ctx.channel().isWritable() && !held.isEmpty()) {
      replayHeld(); // the responses before have left: the next pipelined request's turn
      updateReading();
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** Response bytes queued for the socket (0 once the channel is closed). */
  private long pendingBytes() {
    ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
    return buffer == null ? 0 : buffer.totalPendingWriteBytes();
  }

  private void writeTimedOut() {
    log.warn(
        "route {}: client {} read nothing of the response for {} ms (--write-timeout):"
            + " disconnected",
        lastRoute,
        clientAddress(),
        limits.writeTimeout().toMillis());
    events.writeTimeout(lastRoute);
    ctx.close(); // channelInactive ends the exchange and releases its budget
  }

  /**
   * Resets and broken pipes are what clients do (debug); anything else is worth a warning. Either
   * way the connection closes.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof java.io.IOException || lingering) {
      log.debug("connection from {} (route {}): {}", clientAddress(), lastRoute, cause.toString());
    } else if (cause instanceof io.netty.handler.codec.DecoderException) {
      // What the client sent cannot be decoded (plain HTTP to the TLS port, say): its doing.
      log.warn(
          "connection from {} (route {}): closed: {}",
          clientAddress(),
          lastRoute,
          cause.toString());
    } else {
      log.warn(
          "connection from {} (route {}): closed on an error: {}",
          clientAddress(),
          lastRoute,
          cause.toString(),
          cause);
    }
    ctx.close();
  }

  private static void cancel(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  /** Whether this connection is TLS (HttpServer puts an SslHandler first). */
  private boolean secure() {
    return ctx.pipeline().get(SslHandler.class) != null;
  }

  private String clientAddress() {
    if (clientAddress == null) {
      SocketAddress remote = ctx.channel().remoteAddress();
      clientAddress =
          remote instanceof InetSocketAddress inet
              ? inet.getAddress().getHostAddress()
              : String.valueOf(remote);
    }
    return clientAddress;
  }

  private int clientPort() {
    return ctx.channel().remoteAddress() instanceof InetSocketAddress inet ? inet.getPort() : 0;
  }
}
