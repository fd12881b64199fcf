package dev.jwagi.cgi;

import java.io.ByteArrayOutputStream;

/**
 * A {@link ResponseSink} that keeps the whole response, for one request answered outside the server
 * ({@code jwagi run}): nothing is sent early, so a failure always replaces the response.
 */
public final class CollectedResponse implements ResponseSink {
  private CgiResponse head;
  private final ByteArrayOutputStream body = new ByteArrayOutputStream();
  private CgiResponse result;

  @Override
  public synchronized void head(CgiResponse head) {
    this.head = head;
  }

  @Override
  public synchronized void body(byte[] bytes, int offset, int length) {
    body.write(bytes, offset, length);
  }

  @Override
  public synchronized void end() {
    if (result == null) {
      result =
          head == null
              ? CgiResponse.text(500, "Internal Server Error\n")
              : new CgiResponse(head.status(), head.reason(), head.headers(), body.toByteArray());
    }
  }

  @Override
  public synchronized void fail(CgiResponse response, String cause) {
    if (result == null) {
      result = response;
    }
  }

  /** The response, once the handler has ended it (else a 500). */
  public synchronized CgiResponse response() {
    return result == null ? CgiResponse.text(500, "Internal Server Error\n") : result;
  }
}
