package dev.jwagi.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits before the HTTP decoder and tells the connection's {@link RequestHandler} when request bytes
 * arrive, so the read timeout also covers a request whose head never completes (the decoder passes
 * nothing on until it has the whole head).
 */
final class FirstBytesWatcher extends ChannelInboundHandlerAdapter {
  private final RequestHandler requests;

  FirstBytesWatcher(RequestHandler requests) {
    this.requests = requests;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    requests.bytesArrived(msg instanceof ByteBuf bytes ? bytes.readableBytes() : 0);
    ctx.fireChannelRead(msg);
  }
}
