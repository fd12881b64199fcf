package dev.jwagi.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An EmbeddedChannel whose clock stands still until a test advances it, and the context of its one
 * handler: what the http classes under test write through and schedule their timers on.
 */
final class FrozenChannel {
  final EmbeddedChannel channel;
  final ChannelHandlerContext ctx;

  FrozenChannel() {
    AtomicReference<ChannelHandlerContext> context = new AtomicReference<>();
    channel =
        new EmbeddedChannel(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void handlerAdded(ChannelHandlerContext added) {
                context.set(added);
              }
            });
    channel.freezeTime();
    ctx = context.get();
  }
}
