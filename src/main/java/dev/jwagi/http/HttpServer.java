package dev.jwagi.http;

import dev.jwagi.config.ConnectionLimits;
import dev.jwagi.config.TlsIdentity;
import dev.jwagi.memory.MemoryBudget;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Readiness;
import dev.jwagi.routing.ServingTable;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 listener. Netty's event loops only parse and write; every request that runs guest
 * code goes to a pool of worker threads, so a slow guest never stalls other connections.
 */
public final class HttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private final EventLoopGroup acceptor;
  private final EventLoopGroup eventLoops;
  private final Workers workers;
  private final Channel listener;
  private final InetSocketAddress address;
  private final ChannelGroup connections;
  private final ConnectionLimits limits;
  private final Readiness readiness;
  private final Spool spool;
  private final ServerEvents events;

  /** Set by {@link #listen}, before the listener is bound (no connection can come earlier). */
  private volatile ServingTable routes;

  private boolean stopped;

  private HttpServer(
      EventLoopGroup acceptor,
      EventLoopGroup eventLoops,
      Workers workers,
      ChannelGroup connections,
      ConnectionLimits limits,
      Spool spool,
      SslContext ssl,
      ServerEvents events,
      MemoryBudget budget,
      Readiness readiness,
      InetSocketAddress address) {
    this.acceptor = acceptor;
    this.readiness = readiness;
    this.eventLoops = eventLoops;
    this.workers = workers;
    this.connections = connections;
    this.limits = limits;
    this.spool = spool;
    this.events = events;
    this.address = address;
    this.listener =
        new ServerBootstrap()
            .group(acceptor, eventLoops)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch);
                    assemble(ch, ssl, routes, workers, limits, spool, events, budget, readiness);
                  }
                })
            .register()
            .syncUninterruptibly()
            .channel();
  }

  /**
   * Sets up the event loops, the worker pool and the listening socket, not yet bound: start-up does
   * this while the modules load (it is ~20 ms of first-time class work), then {@link #listen}s.
   * Guests will run on {@code limits.maxConcurrency()} worker threads; up to {@code limits.queue()}
   * more requests wait for one, and beyond that get 503. With {@code tls} (else null) every
   * connection is HTTPS. Requests' buffers are charged to {@code budget}; {@code readiness} turns
   * not ready when a drain starts. Request bodies are spooled in {@code limits.spoolDir()} (cleared
   * of a crashed server's leftovers now).
   */
  public static HttpServer open(
      String host,
      int port,
      ConnectionLimits limits,
      TlsIdentity tls,
      ServerEvents events,
      MemoryBudget budget,
      Readiness readiness) {
    SslContext ssl = tls == null ? null : sslContext(tls);
    Spool.clearLeftovers(limits.spoolDir());
    Spool spool = new Spool(limits.spoolDir(), limits.maxSpoolBytes());
    EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    EventLoopGroup eventLoops = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    Workers workers = new Workers(limits.maxConcurrency(), limits.queue());
    try {
      HttpServer server =
          new HttpServer(
              acceptor,
              eventLoops,
              workers,
              connections,
              limits,
              spool,
              ssl,
              events,
              budget,
              readiness,
              new InetSocketAddress(host, port));
      events.guestPool(workers::running, workers::queued);
      events.budgets(budget::used, spool::used);
      return server;
    } catch (RuntimeException e) {
      acceptor.shutdownGracefully();
      eventLoops.shutdownGracefully();
      workers.stopNow();
      throw e;
    }
  }

  /**
   * Binds the listener and serves the table {@code routes} holds (read once per request, so that a
   * reload can replace it). On failure (the address in use, say: Netty rethrows the socket's
   * IOException unchecked), stops everything and throws.
   */
  public void listen(ServingTable routes) throws Exception {
    this.routes = routes;
    try {
      listener.bind(address).sync();
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /**
   * A connection's pipeline, front to back: TLS (when configured; RequestHandler then reports the
   * request as secure), the read-timeout watcher, the HTTP/1.1 codec, the request handler.
   */
  static void assemble(
      SocketChannel ch,
      SslContext ssl,
      ServingTable routes,
      Workers workers,
      ConnectionLimits limits,
      Spool spool,
      ServerEvents events,
      MemoryBudget budget,
      Readiness readiness) {
    RequestHandler requests =
        new RequestHandler(routes, workers, limits, spool, events, budget, readiness);
    ChannelPipeline pipeline = ch.pipeline();
    if (ssl != null) {
      pipeline.addLast(ssl.newHandler(ch.alloc()));
    }
    pipeline
        .addLast(new FirstBytesWatcher(requests))
        .addLast(
            new HttpServerCodec(
                new HttpDecoderConfig()
                    .setMaxInitialLineLength(4096)
                    .setMaxHeaderSize(8192)
                    .setMaxChunkSize(8192),
                RequestHandler.MAX_PIPELINE_DEPTH))
        .addLast(requests);
  }

  /**
   * The JDK's TLS (no native library to ship), HTTP/1.1 only, as WAGI; TLS 1.2+ with the ciphers of
   * {@link TlsIdentity#CIPHERS}.
   */
  private static SslContext sslContext(TlsIdentity tls) {
    try {
      return SslContextBuilder.forServer(tls.key(), tls.chain().toArray(new X509Certificate[0]))
          .sslProvider(SslProvider.JDK)
          .protocols(TlsIdentity.PROTOCOLS)
          .ciphers(TlsIdentity.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalArgumentException(
          "--tls-cert/--tls-key: cannot set up TLS: " + e.getMessage(), e);
    }
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /**
   * A lossless drain: /readyz turns 503, the listener stops accepting, every request still arriving
   * on an open connection is answered with Connection: close and the connection closed after it (an
   * idle one after a short quiet period). Waits for that up to the drain timeout; then stops the
   * guests still running (logged by route) and closes what is left. Returns whether everything
   * finished in time.
   */
  public synchronized boolean drain() {
    if (stopped) {
      return true;
    }
    stopped = true;
    readiness.drainStarted();
    listener.close().syncUninterruptibly();
    for (Channel connection : connections) {
      RequestHandler handler = connection.pipeline().get(RequestHandler.class);
      if (handler != null) {
        connection.eventLoop().execute(handler::drain);
      }
    }
    Duration timeout = limits.drainTimeout();
    boolean clean =
        connections
            .newCloseFuture()
            .awaitUninterruptibly(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!clean) {
      List<String> interrupted = workers.stopNow();
      for (String route : interrupted) {
        log.warn(
            "route {}: drain timeout ({} ms): the guest still running is stopped",
            route,
            timeout.toMillis());
      }
      log.warn(
          "drain timeout ({} ms): closing {} connection(s) still open",
          timeout.toMillis(),
          connections.size());
      connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    workers.shutdown();
    eventLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    return clean;
  }

  /** Drains (see {@link #drain}). */
  @Override
  public void close() {
    drain();
  }
}
