package dev.jwagi.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.cgi.CgiResponse;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hold-back rules of a streamed response, on Netty's embedded channel with its own clock: no
 * wall-clock waits. The handler's calls are made from the test thread.
 */
class StreamingResponseTest {
  private EmbeddedChannel channel;
  private ChannelHandlerContext ctx;
  private final List<StreamingResponse> done = new ArrayList<>();
  private final List<StreamingResponse> finishing = new ArrayList<>();

  @BeforeEach
  void open() {
    FrozenChannel frozen = new FrozenChannel();
    channel = frozen.channel;
    ctx = frozen.ctx;
  }

  @AfterEach
  void close() {
    Object msg;
    while ((msg = channel.readOutbound()) != null) {
      ReferenceCountUtil.release(msg);
    }
    channel.finishAndReleaseAll();
  }

  private StreamingResponse response() {
    var response =
        new StreamingResponse(
            ctx,
            "/r",
            false,
            true,
            true,
            new StreamingResponse.Done() {
              @Override
              public void responseFinishing(StreamingResponse response) {
                finishing.add(response);
              }

              @Override
              public void responseDone(StreamingResponse response) {
                done.add(response);
              }

              @Override
              public void closeAfter(io.netty.channel.ChannelFuture written) {
                written.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
              }
            });
    response.start(); // as the connection does when the handler starts
    return response;
  }

  private static CgiResponse head() {
    return CgiResponse.text(200, "");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void advance(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runPendingTasks();
  }

  private static String text(HttpContent content) {
    return content.content().toString(StandardCharsets.UTF_8);
  }

  @Test
  void aPauseOfFiftyMillisecondsSendsTheHeadAndWhatIsThere() throws Exception {
    var response = response();
    response.head(head());
    response.body(bytes("first\n"), 0, 6);
    channel.runPendingTasks();
    assertThat((Object) channel.readOutbound()).as("held back while fresh").isNull();
    advance(49);
    assertThat((Object) channel.readOutbound()).isNull();
    advance(1);
    HttpResponse sentHead = channel.readOutbound();
    assertThat(sentHead).isNotInstanceOf(FullHttpResponse.class);
    assertThat(sentHead.headers().get(HttpHeaderNames.TRANSFER_ENCODING)).isEqualTo("chunked");
    assertThat(sentHead.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
    HttpContent first = channel.readOutbound();
    assertThat(text(first)).isEqualTo("first\n");
    first.release();

    // Later output follows at once, in order; the end is the last chunk.
    response.body(bytes("second\n"), 0, 7);
    response.end();
    channel.runPendingTasks();
    HttpContent second = channel.readOutbound();
    assertThat(text(second)).isEqualTo("second\n");
    second.release();
    assertThat((Object) channel.readOutbound()).isInstanceOf(LastHttpContent.class);
    assertThat(finishing).containsExactly(response);
    assertThat(done).containsExactly(response);
    assertThat(response.complete()).isTrue();
    assertThat(response.bytesOut()).isEqualTo(13);
  }

  @Test
  void newOutputRestartsThePause() throws Exception {
    var response = response();
    response.head(head());
    channel.runPendingTasks();
    advance(40);
    response.body(bytes("a"), 0, 1);
    channel.runPendingTasks();
    advance(40);
    assertThat((Object) channel.readOutbound())
        .as("80 ms in, but 40 since the last output")
        .isNull();
    advance(10);
    assertThat((Object) channel.readOutbound()).isInstanceOf(HttpResponse.class);
  }

  @Test
  void aHandlerThatEndsWhileHeldGetsAWholeResponseWithALength() throws Exception {
    var response = response();
    response.head(head());
    response.body(bytes("all of it"), 0, 9);
    advance(30);
    response.end();
    channel.runPendingTasks();
    FullHttpResponse whole = channel.readOutbound();
    assertThat(whole.status().code()).isEqualTo(200);
    assertThat(whole.headers().get(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("9");
    assertThat(text(whole)).isEqualTo("all of it");
    whole.release();
  }

  @Test
  void aFailureWhileHeldReplacesTheResponse() throws Exception {
    var response = response();
    response.head(head());
    response.body(bytes("partial"), 0, 7);
    advance(30);
    response.fail(CgiResponse.text(500, "failed\n"), "module exited with code 1");
    channel.runPendingTasks();
    FullHttpResponse whole = channel.readOutbound();
    assertThat(whole.status().code()).isEqualTo(500);
    assertThat(text(whole)).isEqualTo("failed\n");
    whole.release();
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void sixtyFourKibibytesAreSentWithoutWaitingForAPause() throws Exception {
    var response = response();
    response.head(head());
    byte[] big = new byte[StreamingResponse.HOLD_BYTES];
    response.body(big, 0, big.length);
    channel.runPendingTasks();
    assertThat((Object) channel.readOutbound()).isInstanceOf(HttpResponse.class);
    HttpContent content = channel.readOutbound();
    assertThat(content.content().readableBytes()).isEqualTo(big.length);
    content.release();
  }

  @Test
  void aFailureAfterTheHeadCutsTheResponse() throws Exception {
    var response = response();
    response.head(head());
    response.body(bytes("first\n"), 0, 6);
    channel.runPendingTasks();
    advance(50);
    assertThat((Object) channel.readOutbound()).isInstanceOf(HttpResponse.class);
    ReferenceCountUtil.release(channel.readOutbound());
    response.fail(CgiResponse.text(500, "failed\n"), "module trapped");
    channel.runPendingTasks();
    assertThat((Object) channel.readOutbound()).as("no last chunk").isNull();
    assertThat(channel.isOpen()).isFalse();
    assertThat(response.complete()).isFalse();
    assertThat(finishing).as("a cut response is reported once over, not before").isEmpty();
    assertThat(done).containsExactly(response);
  }

  @Test
  void aResponseWithoutHeadWaitsWhateverTheTime() throws Exception {
    var response = response();
    channel.runPendingTasks();
    advance(10_000);
    assertThat((Object) channel.readOutbound()).isNull();
    response.respond(CgiResponse.text(404, "Not Found\n"));
    channel.runPendingTasks();
    FullHttpResponse whole = channel.readOutbound();
    assertThat(whole.status().code()).isEqualTo(404);
    whole.release();
  }
}
