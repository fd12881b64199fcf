package dev.jwagi.http;

import dev.jwagi.config.ConnectionLimits;
import dev.jwagi.config.TlsIdentity;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.RoutingTable;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  private final ExecutorService workers;
  private final Channel listener;
  private final ChannelGroup connections;

  private HttpServer(
      EventLoopGroup acceptor,
      EventLoopGroup eventLoops,
      ExecutorService workers,
      Channel listener,
      ChannelGroup connections) {
    this.acceptor = acceptor;
    this.eventLoops = eventLoops;
    this.workers = workers;
    this.listener = listener;
    this.connections = connections;
  }

  /**
   * Binds and starts serving. Guests run on {@code limits.maxConcurrency()} worker threads; up to
   * {@code limits.queue()} more requests wait for one, and beyond that get 503. With {@code tls}
   * (else null) every connection is HTTPS. Every request is reported to {@code events}.
   */
  public static HttpServer start(
      RoutingTable routes,
      String host,
      int port,
      ConnectionLimits limits,
      TlsIdentity tls,
      ServerEvents events)
      throws InterruptedException {
    SslContext ssl = tls == null ? null : sslContext(tls);
    EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    EventLoopGroup eventLoops = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    ThreadPoolExecutor workers =
        new ThreadPoolExecutor(
            limits.maxConcurrency(),
            limits.maxConcurrency(),
            0,
            TimeUnit.SECONDS,
            limits.queue() == 0
                ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(limits.queue()),
            namedThreads("jwagi-worker-"));
    events.guestPool(workers::getActiveCount, () -> workers.getQueue().size());
    try {
      Channel listener =
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
                      RequestHandler requests = new RequestHandler(routes, workers, limits, events);
                      if (ssl != null) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc())); // RequestHandler: secure
                      }
                      ch.pipeline()
                          .addLast(new FirstBytesWatcher(requests))
                          .addLast(new HttpServerCodec())
                          .addLast(requests);
                    }
                  })
              .bind(new InetSocketAddress(host, port))
              .sync()
              .channel();
      return new HttpServer(acceptor, eventLoops, workers, listener, connections);
    } catch (RuntimeException | InterruptedException e) {
      acceptor.shutdownGracefully();
      eventLoops.shutdownGracefully();
      workers.shutdownNow();
      throw e;
    }
  }

  /** The JDK's TLS (no native library to ship), HTTP/1.1 only, as WAGI. */
  private static SslContext sslContext(TlsIdentity tls) {
    try {
      return SslContextBuilder.forServer(tls.key(), tls.chain().toArray(new X509Certificate[0]))
          .sslProvider(SslProvider.JDK)
          .build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalArgumentException(
          "--tls-cert/--tls-key: cannot set up TLS: " + e.getMessage(), e);
    }
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Stops accepting, lets requests in flight finish (up to 30 s), then stops. */
  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    workers.shutdown();
    try {
      if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("requests still running after 30 s; stopping them");
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    // The last guests' responses are queued on the event loops. Behind them (tasks run in order),
    // an empty write closes each connection once everything before it is on the wire; shutting
    // the loops down first would close connections with responses still unwritten.
    for (Channel connection : connections) {
      connection
          .eventLoop()
          .execute(
              () ->
                  connection
                      .writeAndFlush(Unpooled.EMPTY_BUFFER)
                      .addListener(ChannelFutureListener.CLOSE));
    }
    connections.newCloseFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    eventLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  static java.util.concurrent.ThreadFactory namedThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
